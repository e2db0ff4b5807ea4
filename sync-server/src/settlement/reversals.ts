/**
 * Voids and refunds: reversing transfers (store -> the shopper who paid), linked to the payment's
 * settling transfer. The payment machine (`reverse`) decides whether one is allowed, how much it gives
 * back and the payment's next state; this shell posts it. Their total never exceeds the payment: guarded again by the
 * conditional UPDATE of payments.reversed_minor, and backed by a CHECK constraint. A refund id is
 * one refund (UNIQUE(payment_id, refund_id)); a void reverses what is left and is allowed only while
 * the payment's register period is open.
 */
import type { Tx } from "../db/database.js";
import { findAccountById, findTransfer, postTransfer } from "../db/repositories/accounts.js";
import { addReversed, type PaymentRow } from "../db/repositories/payments.js";
import { openPeriod } from "../db/repositories/periods.js";
import { findReversal, insertReversal, VOID_REFUND_ID, type ReversalRow } from "../db/repositories/reversals.js";
import { newId } from "../ids.js";
import { reverse, type ReversalEvent } from "../payments/payment-machine.js";
import { reversalPosting } from "../ledger/postings.js";
import type { ErrorCode } from "@codepay/contract";

export type ReversalOutcome =
  | { readonly ok: true; readonly reversal: ReversalRow; readonly reversedTotalMinor: number; readonly replayed: boolean }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

function refuse(code: ErrorCode, message: string): ReversalOutcome {
  return { ok: false, code, message };
}

export interface ReversalRequest {
  readonly kind: "void" | "refund";
  /** Refunds: the client's id; voids: none (one void per payment). */
  readonly refundId?: string;
  /** Refunds: the amount; voids reverse what is left. */
  readonly amountMinor?: number;
  readonly now: number;
}

/** `payment` must have been read in this transaction (locked on PostgreSQL). */
export async function reversePayment(tx: Tx, payment: PaymentRow, request: ReversalRequest): Promise<ReversalOutcome> {
  const refundId = request.kind === "void" ? VOID_REFUND_ID : (request.refundId ?? "");
  const previous = await findReversal(tx, payment.paymentId, refundId);
  if (previous !== undefined) {
    // The same refund id again (a retry with a new requestId): the same refund, if it asks the same.
    if (request.kind === "refund" && previous.amountMinor !== request.amountMinor) {
      return refuse("IDEMPOTENCY_MISMATCH", `refund ${refundId} was for ${previous.amountMinor}, not ${request.amountMinor}`);
    }
    return { ok: true, reversal: previous, reversedTotalMinor: payment.reversedMinor, replayed: true };
  }
  if (payment.state === "approved" && payment.reference === null) throw new Error(`approved payment ${payment.paymentId} has no settling transfer`);
  // The register's open period (made on first use): only an approved payment can be reversed, so only then.
  const period = payment.state === "approved" ? await openPeriod(tx, payment.registerId, request.now) : undefined;
  const event: ReversalEvent = request.kind === "void" ? { type: "void" } : { type: "refund", amountMinor: request.amountMinor ?? 0 };
  const decided = reverse({ ...payment, inOpenPeriod: period !== undefined && payment.periodNumber === period.number }, event);
  if (!decided.ok) {
    const message = decided.code === "PERIOD_CLOSED" ? `payment ${payment.paymentId} belongs to period ${payment.periodNumber ?? "?"}, closed by a Z report` : decided.message;
    return refuse(decided.code, message);
  }
  if (period === undefined) throw new Error(`payment ${payment.paymentId}: reversed while ${payment.state}`);
  const { amountMinor } = decided;
  const original = await findTransfer(tx, payment.reference ?? "");
  if (original === undefined || original.paymentId !== payment.paymentId) throw new Error(`payment ${payment.paymentId} has no settling transfer ${payment.reference}`);
  const store = await findAccountById(tx, original.creditAccountId);
  const shopper = await findAccountById(tx, original.debitAccountId);
  if (store === undefined || shopper === undefined) throw new Error(`accounts of transfer ${original.id} vanished`);
  const posting = reversalPosting(store, shopper, amountMinor, payment.currency);
  if (!posting.ok) return refuse(posting.code, posting.message);
  // The guarded UPDATE first: if it refuses, nothing has moved yet.
  if (!(await addReversed(tx, payment.paymentId, amountMinor, request.now, decided.state))) {
    return refuse("REFUND_EXCEEDS_ORIGINAL", "the reversals of this payment would exceed it");
  }
  const transferId = newId();
  const posted = await postTransfer(
    tx,
    { id: transferId, debitAccountId: store.id, creditAccountId: shopper.id, amountMinor, currency: payment.currency, kind: request.kind, paymentId: null, reversesTransferId: original.id, createdAt: request.now },
    { debitMayGoNegative: posting.posting.debitMayGoNegative },
  );
  if (posted === "insufficient-funds") throw new Error(`store account ${store.id} cannot cover a ${request.kind} it was paid for`);
  const reversal: ReversalRow = {
    transferId,
    paymentId: payment.paymentId,
    kind: request.kind,
    refundId,
    amountMinor,
    currency: payment.currency,
    tender: payment.tender,
    registerId: payment.registerId,
    periodNumber: period.number,
    createdAt: request.now,
  };
  await insertReversal(tx, reversal);
  return { ok: true, reversal, reversedTotalMinor: decided.reversedMinor, replayed: false };
}
