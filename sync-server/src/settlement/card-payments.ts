/**
 * `payment.card`: a swipe pays from the card owner's account, through the same posting rule and
 * transfer path as a code payment (user -> store), with tender "card". The payment is final at
 * once: approved, or declined with CARD_UNKNOWN / CARD_EXPIRED / INSUFFICIENT_FUNDS / NO_ACCOUNT, as the
 * payment machine's startCardPayment decides.
 */
import type { Tx } from "../db/database.js";
import { findShopperAndStoreAccounts, postTransfer, type AccountRow } from "../db/repositories/accounts.js";
import { findCard } from "../db/repositories/cards.js";
import { insertFinalPayment, type NewPaymentRow } from "../db/repositories/payments.js";
import { openPeriod } from "../db/repositories/periods.js";
import { newId } from "../ids.js";
import { startCardPayment } from "../payments/payment-machine.js";
import { paymentPosting } from "../ledger/postings.js";
import type { CardPayment, ErrorCode } from "@codepay/contract";
import { isCardExpired } from "../cards/card-key.js";

export type CardDecision = { readonly state: "approved"; readonly reference: string; readonly periodNumber: number } | { readonly state: "declined"; readonly reason: ErrorCode };

type CardCheck =
  | { readonly ok: true; readonly shopper: AccountRow; readonly store: AccountRow; readonly debitMayGoNegative: boolean }
  | { readonly ok: false; readonly reason: ErrorCode };

/** Whether the card may pay: known, not expired, an account with the funds. Reads only. */
async function check(tx: Tx, storeId: string, request: CardPayment, now: number): Promise<CardCheck> {
  const card = await findCard(tx, request.card.token);
  if (card === undefined) return { ok: false, reason: "CARD_UNKNOWN" };
  if (isCardExpired(request.card.expiry, now)) return { ok: false, reason: "CARD_EXPIRED" };
  const { shopper, store } = await findShopperAndStoreAccounts(tx, card.userId, storeId, request.amount.currency);
  if (shopper === undefined) return { ok: false, reason: "NO_ACCOUNT" };
  if (store === undefined) throw new Error(`store ${storeId} has no ${request.amount.currency} account`);
  const decided = paymentPosting(shopper, store, request.amount.minor, request.amount.currency);
  if (!decided.ok) return { ok: false, reason: decided.code };
  return { ok: true, shopper, store, debitMayGoNegative: decided.posting.debitMayGoNegative };
}

function cardPaymentRow(storeId: string, registerId: string, paymentId: string, request: CardPayment, now: number, decision: CardDecision): NewPaymentRow {
  return {
    paymentId,
    registerPaymentId: request.paymentId,
    storeId,
    registerId,
    amountMinor: request.amount.minor,
    currency: request.amount.currency,
    code: "",
    state: decision.state,
    reason: decision.state === "declined" ? decision.reason : null,
    expiresAt: now,
    claimedByPhone: null,
    reference: decision.state === "approved" ? decision.reference : null,
    linesJson: request.lines === undefined ? null : JSON.stringify(request.lines),
    createdAt: now,
    updatedAt: now,
    tender: "card",
    cardLast4: request.card.last4,
    periodNumber: decision.state === "approved" ? decision.periodNumber : null,
  };
}

/**
 * Settles (or declines) the card payment under the server's name `paymentId` (payment-names.ts); the payment row exists afterwards either way. The payment
 * machine (`startCardPayment`) decides the state; `forcedDecline` is the sandbox's.
 */
export async function settleCardPayment(tx: Tx, storeId: string, registerId: string, paymentId: string, request: CardPayment, now: number, forcedDecline?: ErrorCode): Promise<CardDecision> {
  const checked: CardCheck = forcedDecline !== undefined ? { ok: false, reason: forcedDecline } : await check(tx, storeId, request, now);
  const started = startCardPayment(checked.ok ? { type: "card-approve" } : { type: "card-decline", reason: checked.reason });
  if (started.state === "declined") {
    const declined: CardDecision = { state: "declined", reason: started.reason };
    await insertFinalPayment(tx, cardPaymentRow(storeId, registerId, paymentId, request, now, declined));
    return declined;
  }
  if (!checked.ok) throw new Error(`card payment ${request.paymentId}: approved without a check`);
  const period = await openPeriod(tx, registerId, now);
  const approved: CardDecision = { state: "approved", reference: newId(), periodNumber: period.number };
  // The payment row first: the transfer references it.
  await insertFinalPayment(tx, cardPaymentRow(storeId, registerId, paymentId, request, now, approved));
  for (const effect of started.effects) {
    if (effect.type !== "settle") continue;
    const posted = await postTransfer(
      tx,
      { id: approved.reference, debitAccountId: checked.shopper.id, creditAccountId: checked.store.id, amountMinor: request.amount.minor, currency: request.amount.currency, kind: "payment", paymentId, createdAt: now },
      { debitMayGoNegative: checked.debitMayGoNegative },
    );
    // The guard in SQL saw a balance the snapshot did not: only possible under a race; roll back.
    if (posted === "insufficient-funds") throw new Error(`card payment ${request.paymentId}: balance changed under the transaction`);
  }
  return approved;
}
