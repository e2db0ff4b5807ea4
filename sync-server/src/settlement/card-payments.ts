/**
 * `payment.card`: a swipe pays from the card owner's account, through the same posting rule and
 * transfer path as a code payment (user -> store), with tender "card". The payment is final at
 * once: approved, or declined with CARD_UNKNOWN / CARD_EXPIRED / INSUFFICIENT_FUNDS / NO_ACCOUNT.
 */
import type { Tx } from "../db/database.js";
import { findShopperAndStoreAccounts, postTransfer } from "../db/repositories/accounts.js";
import { findCard } from "../db/repositories/cards.js";
import { insertFinalPayment, type NewPaymentRow } from "../db/repositories/payments.js";
import { openPeriod } from "../db/repositories/periods.js";
import { newId } from "../ids.js";
import { paymentPosting } from "../ledger/postings.js";
import type { CardPayment, ErrorCode } from "@codepay/contract";
import { isCardExpired } from "../cards/card-key.js";

export type CardDecision = { readonly state: "approved"; readonly reference: string; readonly periodNumber: number } | { readonly state: "declined"; readonly reason: ErrorCode };

async function decide(tx: Tx, storeId: string, registerId: string, request: CardPayment, now: number, paymentId: string): Promise<CardDecision> {
  const card = await findCard(tx, request.card.token);
  if (card === undefined) return { state: "declined", reason: "CARD_UNKNOWN" };
  if (isCardExpired(request.card.expiry, now)) return { state: "declined", reason: "CARD_EXPIRED" };
  const { shopper, store } = await findShopperAndStoreAccounts(tx, card.userId, storeId, request.amount.currency);
  if (shopper === undefined) return { state: "declined", reason: "NO_ACCOUNT" };
  if (store === undefined) throw new Error(`store ${storeId} has no ${request.amount.currency} account`);
  const decided = paymentPosting(shopper, store, request.amount.minor, request.amount.currency);
  if (!decided.ok) return { state: "declined", reason: decided.code };
  const period = await openPeriod(tx, registerId, now);
  const transferId = newId();
  // The payment row first: the transfer references it.
  await insertFinalPayment(tx, cardPaymentRow(storeId, registerId, request, now, paymentId, { state: "approved", reference: transferId, periodNumber: period.number }));
  const posted = await postTransfer(
    tx,
    { id: transferId, debitAccountId: shopper.id, creditAccountId: store.id, amountMinor: request.amount.minor, currency: request.amount.currency, kind: "payment", paymentId, createdAt: now },
    { debitMayGoNegative: decided.posting.debitMayGoNegative },
  );
  // The guard in SQL saw a balance the snapshot did not: only possible under a race; roll back.
  if (posted === "insufficient-funds") throw new Error(`card payment ${paymentId}: balance changed under the transaction`);
  return { state: "approved", reference: transferId, periodNumber: period.number };
}

export function cardPaymentRow(storeId: string, registerId: string, request: CardPayment, now: number, paymentId: string, decision: CardDecision): NewPaymentRow {
  return {
    paymentId,
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

/** Settles (or declines) the card payment; the payment row exists afterwards either way. */
export async function settleCardPayment(tx: Tx, storeId: string, registerId: string, request: CardPayment, now: number): Promise<CardDecision> {
  const decision = await decide(tx, storeId, registerId, request, now, request.paymentId);
  if (decision.state === "declined") await insertFinalPayment(tx, cardPaymentRow(storeId, registerId, request, now, request.paymentId, decision));
  return decision;
}
