/**
 * The thin shell around the payment machine: feeds it the stored payment, writes what it decided,
 * and turns its effects into rows (transfer, outbox) in the caller's transaction.
 */
import type { Tx } from "../db/database.js";
import { findShopperAndStoreAccountsOp, postTransferOp, type ShopperAndStoreAccounts } from "../db/repositories/accounts.js";
import { insertOutboxRowOp, type OutboxRow } from "../db/repositories/outbox.js";
import { updatePaymentStateOp, type PaymentRow } from "../db/repositories/payments.js";
import { openPeriodOp } from "../db/repositories/periods.js";
import type { Operation } from "../engine/operation.js";
import { runOn } from "../engine/run-on-kysely.js";
import type { PhoneRow } from "../db/repositories/users.js";
import { assert } from "../assert.js";
import { newId } from "../ids.js";
import { paymentPosting } from "../ledger/postings.js";
import { transition, type PaymentEvent, type PaymentSnapshot } from "../payments/payment-machine.js";
import type { ErrorCode } from "@codepay/contract";
import { paymentStateMessage } from "./payment-messages.js";

export type ApplyResult = { readonly ok: true; readonly payment: PaymentRow } | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly payment: PaymentRow };

function snapshotOf(payment: PaymentRow): PaymentSnapshot {
  return { state: payment.state, expiresAt: payment.expiresAt, claimedByPhone: payment.claimedByPhone, reason: (payment.reason as ErrorCode | null) ?? null };
}

/** What settling adds to the row: the transfer and the register period (written with the state, one UPDATE). */
type Settlement = Pick<PaymentRow, "reference" | "periodNumber">;

function* persist(before: PaymentRow, after: PaymentSnapshot, settlement: Settlement, now: number): Operation<PaymentRow> {
  const next: PaymentRow = { ...before, state: after.state, reason: after.reason, claimedByPhone: after.claimedByPhone, reference: settlement.reference, periodNumber: settlement.periodNumber, updatedAt: now };
  if (next.state === before.state && next.claimedByPhone === before.claimedByPhone) return before;
  const written = yield* updatePaymentStateOp(before.paymentId, { state: before.state, claimedByPhone: before.claimedByPhone }, { ...next, code: before.code });
  // Every writer runs in a transaction on the row it just read; a lost race here is a bug.
  if (!written) throw new Error(`payment ${before.paymentId} changed under a transaction`);
  return next;
}

function* pushResult(payment: PaymentRow, now: number, pushed: OutboxRow[]): Operation<void> {
  const resultId = newId();
  const row: OutboxRow = {
    resultId,
    storeId: payment.storeId,
    registerId: payment.registerId,
    paymentId: payment.paymentId,
    messageJson: JSON.stringify(paymentStateMessage(payment, { resultId })),
  };
  yield* insertOutboxRowOp(row, now);
  pushed.push(row);
}

/** Expires the payment if its time has passed; returns it as it now stands. */
export function* expireIfDueOp(payment: PaymentRow, now: number, pushed: OutboxRow[]): Operation<PaymentRow> {
  const ticked = transition(snapshotOf(payment), { type: "tick", now });
  if (!ticked.ok || ticked.effects.length === 0) return payment;
  const expired = yield* persist(payment, ticked.payment, payment, now);
  yield* pushResult(expired, now, pushed);
  return expired;
}

export function expireIfDue(tx: Tx, payment: PaymentRow, now: number, pushed: OutboxRow[]): Promise<PaymentRow> {
  return runOn(tx, expireIfDueOp(payment, now, pushed));
}

type SettleOutcome =
  | { readonly ok: true; readonly settlement: { readonly reference: string; readonly periodNumber: number } }
  | { readonly ok: false; readonly code: "INSUFFICIENT_FUNDS" | "NO_ACCOUNT" | "CURRENCY_MISMATCH" };

/** `approver` is the phone the request came from, authenticated by the shopper API: not read again here. */
function* settle(payment: PaymentRow, approver: PhoneRow, now: number, read: ShopperAndStoreAccounts | undefined): Operation<SettleOutcome> {
  const { shopper, store } = read ?? (yield* findShopperAndStoreAccountsOp(approver.userId, payment.storeId, payment.currency));
  if (shopper === undefined) return { ok: false, code: "NO_ACCOUNT" };
  if (store === undefined) throw new Error(`store ${payment.storeId} has no ${payment.currency} account`);
  const decided = paymentPosting(shopper, store, payment.amountMinor, payment.currency);
  if (!decided.ok) return { ok: false, code: decided.code };
  const transferId = newId();
  const posted = yield* postTransferOp(
    { id: transferId, debitAccountId: decided.posting.debitAccountId, creditAccountId: decided.posting.creditAccountId, amountMinor: payment.amountMinor, currency: payment.currency, kind: "payment", paymentId: payment.paymentId, createdAt: now },
    { debitMayGoNegative: decided.posting.debitMayGoNegative },
  );
  if (posted === "insufficient-funds") return { ok: false, code: "INSUFFICIENT_FUNDS" };
  // The payment belongs to the register period it settled in (X/Z reports, voids until the Z).
  const period = yield* openPeriodOp(payment.registerId, now);
  return { ok: true, settlement: { reference: transferId, periodNumber: period.number } };
}

/**
 * The events a request applies; an approval names the phone row that asked (its user pays), and may
 * bring the two accounts, read with the payment in this transaction (findPaymentToApproveOp).
 */
export type AppliedEvent =
  | Exclude<PaymentEvent, { type: "tick" | "approve" }>
  | (Extract<PaymentEvent, { type: "approve" }> & { readonly approver: PhoneRow; readonly accounts?: ShopperAndStoreAccounts | undefined });

/**
 * Applies one event: expiry first (persisted even when the event is then refused), then the event.
 * An approval the ledger cannot settle becomes a decline with the ledger's reason, and is reported
 * to the caller as a refusal with that code.
 */
export function applyPaymentEvent(tx: Tx, stored: PaymentRow, event: AppliedEvent, pushed: OutboxRow[]): Promise<ApplyResult> {
  return runOn(tx, applyPaymentEventOp(stored, event, pushed));
}

export function* applyPaymentEventOp(stored: PaymentRow, event: AppliedEvent, pushed: OutboxRow[]): Operation<ApplyResult> {
  const payment = yield* expireIfDueOp(stored, event.now, pushed);
  const decided = transition(snapshotOf(payment), event);
  if (!decided.ok) return { ok: false, code: decided.code, message: decided.message, payment };
  let after = decided.payment;
  let settlement: Settlement = payment;
  let refusal: { code: ErrorCode; message: string } | undefined;
  if (decided.effects.some((effect) => effect.type === "settle") && event.type === "approve") {
    assert(event.approver.phoneId === event.phoneId, "the approving phone row must be the event's phone");
    const settled = yield* settle(payment, event.approver, event.now, event.accounts);
    if (settled.ok) {
      settlement = settled.settlement;
    } else {
      const declined = transition(snapshotOf(payment), { type: "decline", phoneId: event.phoneId, now: event.now, reason: settled.code });
      if (!declined.ok) throw new Error("a claimed payment must be declinable");
      after = declined.payment;
      refusal = { code: settled.code, message: settled.code === "NO_ACCOUNT" ? `no account in ${payment.currency}` : "the account cannot cover the amount" };
    }
  }
  const next = yield* persist(payment, after, settlement, event.now);
  if (decided.effects.some((effect) => effect.type === "push-result")) yield* pushResult(next, event.now, pushed);
  if (refusal !== undefined) return { ok: false, ...refusal, payment: next };
  return { ok: true, payment: next };
}
