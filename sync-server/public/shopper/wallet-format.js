// Pure helpers for the wallet on the shopper page (no DOM): times, state words, the funds check
// before an approval, the Retry-After countdown, and a receipt as the rows the page shows. The short
// reference is the contract's own code (./short-reference.js is @codepay/contract's build, served as
// it is), so the page shortens a reference exactly as the server does.
import { formatAmount, say } from "./messages.js";
import { shortReference } from "./short-reference.js";

export { shortReference };

/** Epoch milliseconds as a date and time in the page's language and the phone's time zone. */
export function formatTime(language, epochMs, timeZone) {
  const locale = language === "ja" ? "ja-JP" : "en-GB";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", ...(timeZone !== undefined ? { timeZone } : {}) }).format(new Date(epochMs));
}

/** Whole seconds left until `deadlineMs` (never below 0): what a Retry-After countdown shows. */
export function secondsLeft(deadlineMs, nowMs) {
  return Math.max(0, Math.ceil((deadlineMs - nowMs) / 1000));
}

/**
 * The warning to show before an approval the server would decline for funds, or undefined when the
 * balance covers the amount. `balances` is the wallet's [{ currency, minor }].
 */
export function fundsWarning(language, balances, amount) {
  const balance = balances.find((entry) => entry.currency === amount.currency);
  if (balance === undefined) return say(language, "fundsNoAccount", { currency: amount.currency });
  if (balance.minor >= amount.minor) return undefined;
  return say(language, "fundsShort", { balance: formatAmount(language, balance), amount: formatAmount(language, amount) });
}

/** The balance in the payment's currency, formatted, or undefined when the wallet has none. */
export function balanceIn(language, balances, currency) {
  const balance = balances.find((entry) => entry.currency === currency);
  return balance === undefined ? undefined : formatAmount(language, balance);
}

/** A payment's state in words: "Paid", "Declined"... */
export function stateWords(language, state) {
  return say(language, `state_${state}`);
}

/** The short reference of a payment from the wallet, or of an approval's reply (which has only `reference`). */
export function referenceOf(payment) {
  if (payment.shortReference !== undefined) return payment.shortReference;
  return payment.reference === undefined ? undefined : shortReference(payment.reference);
}

/** One history row's texts: store, time, amount, state (with what was refunded). */
export function historyRow(language, payment, timeZone) {
  const refunded = payment.refundedMinor > 0 && payment.state !== "voided" ? say(language, "refundedNote", { amount: formatAmount(language, { minor: payment.refundedMinor, currency: payment.amount.currency }) }) : undefined;
  return {
    paymentId: payment.paymentId,
    store: payment.storeName,
    time: formatTime(language, payment.approvedAt ?? payment.createdAt, timeZone),
    amount: formatAmount(language, payment.amount),
    state: payment.state,
    stateText: refunded === undefined ? stateWords(language, payment.state) : `${stateWords(language, payment.state)} · ${refunded}`,
  };
}

/**
 * A receipt as the page shows it: the register's lines (items with their amounts, notes without),
 * the total, store and register names, time, how it was paid, the references, refunds.
 */
export function receiptRows(language, receipt, timeZone) {
  const money = (minor) => formatAmount(language, { minor, currency: receipt.amount.currency });
  return {
    store: receipt.storeName,
    register: receipt.registerName,
    time: formatTime(language, receipt.approvedAt ?? receipt.createdAt, timeZone),
    state: stateWords(language, receipt.state),
    lines: (receipt.lines ?? []).map((line) => ({ text: line.text, amount: line.amountMinor === undefined ? undefined : money(line.amountMinor) })),
    total: formatAmount(language, receipt.amount),
    paidWith: receipt.cardLast4 !== undefined ? say(language, "paidWithCard", { last4: receipt.cardLast4 }) : say(language, "paidWithCode"),
    reference: referenceOf(receipt),
    fullReference: receipt.reference,
    paymentId: receipt.paymentId,
    refunds: (receipt.refunds ?? []).map((refund) => ({ label: say(language, refund.kind === "void" ? "void" : "refund"), amount: formatAmount(language, refund.amount), time: formatTime(language, refund.at, timeZone) })),
  };
}
