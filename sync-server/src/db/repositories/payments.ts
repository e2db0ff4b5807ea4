import type { PaymentState } from "../../protocol/index.js";
import type { Queryable } from "../database.js";
import type { PaymentsTable } from "../schema.js";

export interface PaymentRow {
  readonly paymentId: string;
  readonly storeId: string;
  readonly registerId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly code: string;
  readonly state: PaymentState;
  readonly reason: string | null;
  readonly expiresAt: number;
  readonly claimedByPhone: string | null;
  readonly reference: string | null;
  readonly linesJson: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

function toPaymentRow(row: PaymentsTable): PaymentRow {
  return {
    paymentId: row.payment_id,
    storeId: row.store_id,
    registerId: row.register_id,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    code: row.code,
    state: row.state,
    reason: row.reason,
    expiresAt: Number(row.expires_at),
    claimedByPhone: row.claimed_by_phone,
    reference: row.reference,
    linesJson: row.lines_json,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function isOpen(state: PaymentState): boolean {
  return state === "pending" || state === "claimed";
}

export async function findPayment(db: Queryable, paymentId: string): Promise<PaymentRow | undefined> {
  const row = await db.selectFrom("payments").selectAll().where("payment_id", "=", paymentId).executeTakeFirst();
  return row && toPaymentRow(row);
}

export async function findOpenPaymentByCode(db: Queryable, code: string): Promise<PaymentRow | undefined> {
  const row = await db.selectFrom("payments").selectAll().where("open_code", "=", code).executeTakeFirst();
  return row && toPaymentRow(row);
}

/** The newest closed payment that had this code, closed at or after `closedSince`. */
export async function findRecentlyClosedPaymentByCode(db: Queryable, code: string, closedSince: number): Promise<PaymentRow | undefined> {
  const row = await db
    .selectFrom("payments")
    .selectAll()
    .where("code", "=", code)
    .where("open_code", "is", null)
    .where("updated_at", ">=", closedSince)
    .orderBy("updated_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row && toPaymentRow(row);
}

/**
 * Inserts an open payment unless its code is already open. Returns false on that collision:
 * `ON CONFLICT (open_code) DO NOTHING` lets the caller draw another code without aborting the
 * transaction (PostgreSQL would abort it on a raised unique violation).
 */
export async function insertOpenPayment(db: Queryable, payment: PaymentRow): Promise<boolean> {
  const inserted = await db
    .insertInto("payments")
    .values({
      payment_id: payment.paymentId,
      store_id: payment.storeId,
      register_id: payment.registerId,
      amount_minor: payment.amountMinor,
      currency: payment.currency,
      code: payment.code,
      open_code: payment.code,
      state: payment.state,
      reason: payment.reason,
      expires_at: payment.expiresAt,
      claimed_by_phone: payment.claimedByPhone,
      reference: payment.reference,
      lines_json: payment.linesJson,
      created_at: payment.createdAt,
      updated_at: payment.updatedAt,
    })
    .onConflict((oc) => oc.column("open_code").doNothing())
    .returning("payment_id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Writes a new state, guarded by the state it was read in (optimistic check), so two writers can
 * never both move the same payment. Returns false if someone else moved it first.
 */
export async function updatePaymentState(
  db: Queryable,
  paymentId: string,
  expectedState: PaymentState,
  next: { state: PaymentState; reason: string | null; claimedByPhone: string | null; reference: string | null; updatedAt: number; code: string },
): Promise<boolean> {
  const result = await db
    .updateTable("payments")
    .set({
      state: next.state,
      reason: next.reason,
      claimed_by_phone: next.claimedByPhone,
      reference: next.reference,
      updated_at: next.updatedAt,
      open_code: isOpen(next.state) ? next.code : null,
    })
    .where("payment_id", "=", paymentId)
    .where("state", "=", expectedState)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function listOpenPaymentsExpiredBy(db: Queryable, now: number, limit: number): Promise<PaymentRow[]> {
  const rows = await db
    .selectFrom("payments")
    .selectAll()
    .where("state", "in", ["pending", "claimed"])
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .limit(limit)
    .execute();
  return rows.map(toPaymentRow);
}

export async function listPaymentsNewestFirst(db: Queryable, limit: number): Promise<PaymentRow[]> {
  const rows = await db.selectFrom("payments").selectAll().orderBy("created_at", "desc").orderBy("payment_id").limit(limit).execute();
  return rows.map(toPaymentRow);
}
