import type { Tender } from "@codepay/contract";
import type { Queryable } from "../database.js";
import type { ReversalKind } from "../schema.js";

export interface ReversalRow {
  readonly transferId: string;
  readonly paymentId: string;
  readonly kind: ReversalKind;
  readonly refundId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly tender: Tender;
  readonly registerId: string;
  readonly periodNumber: number;
  readonly createdAt: number;
}

/** The void's refund_id: client ids are 8-64 characters, so no refund id can be "void". */
export const VOID_REFUND_ID = "void";

export async function insertReversal(db: Queryable, row: ReversalRow): Promise<void> {
  await db
    .insertInto("reversals")
    .values({
      transfer_id: row.transferId,
      payment_id: row.paymentId,
      kind: row.kind,
      refund_id: row.refundId,
      amount_minor: row.amountMinor,
      currency: row.currency,
      tender: row.tender,
      register_id: row.registerId,
      period_number: row.periodNumber,
      created_at: row.createdAt,
    })
    .execute();
}

export function toReversalRow(row: {
  transfer_id: string;
  payment_id: string;
  kind: ReversalKind;
  refund_id: string;
  amount_minor: number;
  currency: string;
  tender: Tender;
  register_id: string;
  period_number: number;
  created_at: number;
}): ReversalRow {
  return {
    transferId: row.transfer_id,
    paymentId: row.payment_id,
    kind: row.kind,
    refundId: row.refund_id,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    tender: row.tender,
    registerId: row.register_id,
    periodNumber: Number(row.period_number),
    createdAt: Number(row.created_at),
  };
}

export async function findReversal(db: Queryable, paymentId: string, refundId: string): Promise<ReversalRow | undefined> {
  const row = await db.selectFrom("reversals").selectAll().where("payment_id", "=", paymentId).where("refund_id", "=", refundId).executeTakeFirst();
  return row && toReversalRow(row);
}

export async function listReversals(db: Queryable): Promise<ReversalRow[]> {
  const rows = await db.selectFrom("reversals").selectAll().orderBy("created_at").execute();
  return rows.map(toReversalRow);
}
