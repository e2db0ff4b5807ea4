/**
 * What the pole display shows, as a pure function of the agent's state and the time (contracts.md,
 * "Pole display screens"), in English or Japanese (half-width Katakana, JIS X 0201, which every
 * supported display can show). Line 2 of the English issued screen is read by the simulator: keep
 * `CODE 482 9137`. Text longer than the display (a long store name) scrolls on the host, one column
 * every displayScrollStepMs, computed from `now` so the function stays pure.
 */
import { formatMoney, groupCode } from "@codepay/contract";
import type { ErrorCode } from "@codepay/contract";
import { displayColumns, displayScrollStepMs, finalScreenHoldMs } from "./limits.js";
import { isFinalAgentState } from "./payment.js";
import type { AgentPaymentState, Payment } from "./payment.js";

export type ScreenLines = readonly [string, string];
export type ScreenLanguage = "en" | "ja";

export interface ScreenInput {
  readonly storeName: string;
  readonly linkUp: boolean;
  /** The most recently changed payment, if any. */
  readonly payment?: Payment | undefined;
  readonly language?: ScreenLanguage | undefined;
  readonly columns?: number | undefined;
  /** Devices the shopper needs that are not working now (device-faults.ts): said on the screens that need them. */
  readonly devicesMissing?: DevicesMissing | undefined;
}

export interface DevicesMissing {
  /** The card reader's line is down: a card payment waits for a swipe that cannot come. */
  readonly cardReader?: boolean | undefined;
  /** The printer cannot print (paper end, cover open, offline, unplugged): the receipt comes later. */
  readonly printer?: boolean | undefined;
}

interface Messages {
  readonly welcome: string;
  readonly payWithCodePay: string;
  readonly total: string;
  /** Line 1 instead of `total` once the server renewed the code: a shopper who read the old one reads again. */
  readonly newCode: string;
  readonly pleaseWait: string;
  readonly code: string;
  readonly swipeCard: string;
  readonly cardError: string;
  /** Line 2 after a bad swipe: what the shopper does (the code stays in the cashier's panel and logs). */
  readonly swipeAgain: string;
  readonly readerOffline: string;
  readonly receiptDelayed: string;
  readonly unavailable: readonly [string, string];
  /** Line 1 for a few seconds after a refund went through (line 2: the amount back). */
  readonly refunded: string;
  readonly final: Record<Exclude<AgentPaymentState, "awaiting-card" | "requested" | "issued">, string>;
  /** Line 2 of a declined or failed payment: words for its reason (never the code); `other` for the rest. */
  readonly reasons: Partial<Record<ErrorCode, string>> & { readonly other: string; readonly byShopper: string };
}

const MESSAGES: Record<ScreenLanguage, Messages> = {
  en: {
    welcome: "WELCOME",
    payWithCodePay: "PAY WITH CODE PAY",
    total: "TOTAL",
    newCode: "NEW CODE",
    pleaseWait: "PLEASE WAIT",
    code: "CODE",
    swipeCard: "PLEASE SWIPE CARD",
    cardError: "CARD ERROR",
    swipeAgain: "PLEASE SWIPE AGAIN",
    readerOffline: "CARD READER OFFLINE",
    receiptDelayed: "RECEIPT DELAYED",
    refunded: "REFUNDED",
    unavailable: ["MOBILE PAY", "UNAVAILABLE"],
    final: { approved: "APPROVED", declined: "DECLINED", expired: "CODE EXPIRED", cancelled: "CANCELLED", failed: "PAYMENT FAILED", voided: "VOIDED" },
    reasons: {
      other: "PLEASE ASK CASHIER",
      byShopper: "DECLINED ON PHONE",
      INSUFFICIENT_FUNDS: "NOT ENOUGH BALANCE",
      NO_ACCOUNT: "NO ACCOUNT",
      PIN_WRONG: "WRONG PIN",
      PIN_REQUIRED: "PIN NEEDED",
      CARD_UNKNOWN: "CARD NOT REGISTERED",
      CARD_EXPIRED: "CARD EXPIRED",
      CODE_EXPIRED: "CODE EXPIRED",
      SANDBOX_FORCED: "TEST MODE",
      SERVER_UNAVAILABLE: "NO CONNECTION",
      REGISTER_DISABLED: "REGISTER CLOSED",
    },
  },
  ja: {
    welcome: "ｲﾗｯｼｬｲﾏｾ",
    payWithCodePay: "CODE PAYﾃﾞ ｵｼﾊﾗｲ",
    total: "ｺﾞｳｹｲ",
    newCode: "ｱﾀﾗｼｲ ｺｰﾄﾞ",
    pleaseWait: "ｵﾏﾁｸﾀﾞｻｲ",
    code: "ｺｰﾄﾞ",
    swipeCard: "ｶｰﾄﾞｦ ｽﾗｲﾄﾞ ｼﾃｸﾀﾞｻｲ",
    cardError: "ｶｰﾄﾞ ｴﾗｰ",
    swipeAgain: "ﾓｳｲﾁﾄﾞ ｽﾗｲﾄﾞ ｼﾃｸﾀﾞｻｲ",
    readerOffline: "ｶｰﾄﾞﾘｰﾀﾞｰ ｼﾖｳﾌｶ",
    receiptDelayed: "ﾚｼｰﾄ ｵﾏﾁｸﾀﾞｻｲ",
    refunded: "ﾍﾝｷﾝ ｼﾏｼﾀ",
    unavailable: ["ﾓﾊﾞｲﾙｹｯｻｲ", "ｹﾞﾝｻﾞｲ ﾘﾖｳﾃﾞｷﾏｾﾝ"],
    final: { approved: "ｼｮｳﾆﾝ ｱﾘｶﾞﾄｳｺﾞｻﾞｲﾏｽ", declined: "ｼｮｳﾆﾝ ﾃﾞｷﾏｾﾝ", expired: "ｺｰﾄﾞ ﾉ ｷｹﾞﾝｷﾞﾚ", cancelled: "ﾄﾘｹｼ", failed: "ｴﾗｰ", voided: "ﾄﾘｹｼ ｽﾞﾐ" },
    reasons: {
      other: "ｶｶﾘｲﾝﾆ ｵﾀｽﾞﾈｸﾀﾞｻｲ",
      byShopper: "ｹｲﾀｲﾃﾞ ｷｬﾝｾﾙｻﾚﾏｼﾀ",
      INSUFFICIENT_FUNDS: "ｻﾞﾝﾀﾞｶ ﾌｿｸ",
      NO_ACCOUNT: "ｺｳｻﾞｶﾞ ｱﾘﾏｾﾝ",
      PIN_WRONG: "ｱﾝｼｮｳﾊﾞﾝｺﾞｳ ﾁｶﾞｲ",
      PIN_REQUIRED: "ｱﾝｼｮｳﾊﾞﾝｺﾞｳ ｦ ﾆｭｳﾘｮｸ",
      CARD_UNKNOWN: "ﾐﾄｳﾛｸﾉ ｶｰﾄﾞ",
      CARD_EXPIRED: "ｶｰﾄﾞ ﾉ ｷｹﾞﾝｷﾞﾚ",
      CODE_EXPIRED: "ｺｰﾄﾞ ﾉ ｷｹﾞﾝｷﾞﾚ",
      SANDBOX_FORCED: "ﾃｽﾄﾓｰﾄﾞ",
      SERVER_UNAVAILABLE: "ﾂｳｼﾝ ｴﾗｰ",
      REGISTER_DISABLED: "ｺﾉ ﾚｼﾞﾊ ﾃｲｼﾁｭｳ",
    },
  },
};

/** Picks the screen: the current payment, a final screen for a few seconds, the line-down notice, or idle. */
export function renderScreen(input: ScreenInput, now: number): ScreenLines {
  const payment = input.payment;
  const width = input.columns ?? displayColumns;
  const messages = MESSAGES[input.language ?? "en"];
  // An issued code stays on screen while the line is down: the phone talks to the server, not to us.
  const missing = input.devicesMissing ?? {};
  if (payment && !isFinalAgentState(payment.state)) return renderPayment(payment, now, messages, width, missing);
  if (payment && now - payment.updatedAt < finalScreenHoldMs) return renderPayment(payment, now, messages, width, missing);
  if (!input.linkUp) return lines(width, ...messages.unavailable);
  return [marquee(`${messages.welcome} ${input.storeName}`, width, now), fit(messages.payWithCodePay, width)];
}

export function renderPayment(payment: Payment, now: number, messages: Messages = MESSAGES.en, width = displayColumns, missing: DevicesMissing = {}): ScreenLines {
  const amount = formatMoney(payment.amount);
  switch (payment.state) {
    case "awaiting-card":
      if (missing.cardReader === true) return lines(width, leftRight(messages.total, amount, width), messages.readerOffline);
      // A bad swipe says so until the next swipe (words, not its code); the amount stays on line 1.
      if (payment.cardError !== undefined) return lines(width, leftRight(messages.cardError, amount, width), messages.swipeAgain);
      return lines(width, leftRight(messages.total, amount, width), messages.swipeCard);
    case "requested":
      return lines(width, leftRight(messages.total, amount, width), messages.pleaseWait);
    case "issued":
      return issuedScreen(payment.codeRenewed === true ? messages.newCode : messages.total, amount, `${messages.code} ${groupCode(payment.code ?? "")}`, countdown(payment.expiresAt ?? now, now), width);
    case "approved": {
      // A refund the server just confirmed: the shopper sees what went back.
      const refund = latestRefundShown(payment, now);
      if (refund !== undefined) return lines(width, messages.refunded, formatMoney({ minor: refund.amountMinor, currency: payment.amount.currency }));
      // The receipt waits in the print queue until the printer is back: the shopper is told not to wait for it now.
      if (missing.printer === true && !payment.receiptPrinted) {
        const approved = messages.final.approved;
        return lines(width, approved.length + 1 + amount.length <= width ? leftRight(approved, amount, width) : approved, messages.receiptDelayed);
      }
      return lines(width, messages.final[payment.state], amount);
    }
    case "voided":
      return lines(width, messages.final[payment.state], amount);
    case "declined":
    case "failed":
      return lines(width, messages.final[payment.state], reasonWords(messages, payment));
    case "expired":
    case "cancelled":
      return lines(width, messages.final[payment.state], "");
  }
}

/** The refund confirmed most recently, if within the final-screen hold. */
function latestRefundShown(payment: Payment, now: number): Payment["refunds"][number] | undefined {
  let latest: Payment["refunds"][number] | undefined;
  for (const refund of payment.refunds) {
    if (refund.state === "done" && refund.doneAt !== undefined && now - refund.doneAt < finalScreenHoldMs && (latest?.doneAt ?? -Infinity) < refund.doneAt) latest = refund;
  }
  return latest;
}

/** Words for why a payment was declined or failed: a decline without a reason is the shopper's own. */
function reasonWords(messages: Messages, payment: Payment): string {
  if (payment.reason === undefined) return payment.state === "declined" ? messages.reasons.byShopper : messages.reasons.other;
  return messages.reasons[payment.reason] ?? messages.reasons.other;
}

/**
 * `TOTAL <amount>` over `CODE <code> <countdown>`. A long code (9 digits and up, which a chain's
 * server issues: SECURITY.md "Guessing, measured") leaves no room for the countdown on line 2:
 * line 2 keeps label and code whole (the simulator reads it), and the countdown moves to line 1
 * beside the amount in place of the TOTAL label; if that does not fit either, it is left out rather
 * than cut to a wrong time.
 */
/** `label`: TOTAL, or NEW CODE once the server renewed the code (kept when the line has room). */
function issuedScreen(label: string, amount: string, codeText: string, clock: string, width: number): ScreenLines {
  if (codeText.length + 1 + clock.length <= width) return lines(width, leftRight(label, amount, width), leftRight(codeText, clock, width));
  if (amount.length + 1 + clock.length <= width) return lines(width, leftRight(amount, clock, width), codeText);
  return lines(width, leftRight(label, amount, width), codeText);
}

/** Text that fits stays put; longer text scrolls left one column per displayScrollStepMs, wrapping with a gap. */
export function marquee(text: string, width: number, now: number): string {
  if (text.length <= width) return fit(text, width);
  const loop = `${text}   `;
  const offset = Math.floor(now / displayScrollStepMs) % loop.length;
  return (loop + loop).slice(offset, offset + width);
}

/** `m:ss` left until expiresAt, rounded up so 119.2 s shows 2:00 and the last second shows 0:01. */
export function countdown(expiresAt: number, now: number): string {
  const seconds = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Left text at the left edge, right text at the right edge, at least one space apart; the right side is cut first. */
export function leftRight(left: string, right: string, width = displayColumns): string {
  const leftPart = left.slice(0, width);
  const room = width - leftPart.length - 1;
  if (room <= 0) return leftPart;
  const rightPart = right.slice(0, room);
  return leftPart + " ".repeat(width - leftPart.length - rightPart.length) + rightPart;
}

function lines(width: number, first: string, second: string): ScreenLines {
  return [fit(first, width), fit(second, width)];
}

/** Exactly one display line: cut or padded to the width. */
export function fit(text: string, width = displayColumns): string {
  return text.slice(0, width).padEnd(width, " ");
}
