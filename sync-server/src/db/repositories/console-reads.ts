/**
 * What the operator console reads (issue 20): payments found by store, register, state, time and
 * amount, newest first, in keyset pages; and one payment's timeline (created, claimed, settled,
 * result delivered and acknowledged, voids and refunds). The caller decides which store an operator
 * may see (operator/console-access.ts) and passes it here; nothing here knows about roles.
 */
import type { PaymentState } from "@codepay/contract";
import type { Db } from "../database.js";
import { toPaymentRow, type PaymentRow } from "./payments.js";

export interface PaymentSearch {
  readonly storeId?: string;
  readonly registerId?: string;
  readonly state?: PaymentState;
  /** created_at >= fromMs */
  readonly fromMs?: number;
  /** created_at < toMs */
  readonly toMs?: number;
  readonly amountMinMinor?: number;
  readonly amountMaxMinor?: number;
  /** The last row of the previous page: rows strictly older come next. */
  readonly before?: PageKey;
  readonly limit: number;
}

export interface PageKey {
  readonly createdAt: number;
  readonly paymentId: string;
}

export interface PaymentPage {
  readonly payments: readonly PaymentRow[];
  /** The key of the next page, when there may be one. */
  readonly next?: PageKey;
}

/** Newest first by (created_at, payment_id): a range of payments_store_created when a store is named. */
export async function searchPayments(db: Db, search: PaymentSearch): Promise<PaymentPage> {
  let query = db.selectFrom("payments").selectAll();
  if (search.storeId !== undefined) query = query.where("store_id", "=", search.storeId);
  if (search.registerId !== undefined) query = query.where("register_id", "=", search.registerId);
  if (search.state !== undefined) query = query.where("state", "=", search.state);
  if (search.fromMs !== undefined) query = query.where("created_at", ">=", search.fromMs);
  if (search.toMs !== undefined) query = query.where("created_at", "<", search.toMs);
  if (search.amountMinMinor !== undefined) query = query.where("amount_minor", ">=", search.amountMinMinor);
  if (search.amountMaxMinor !== undefined) query = query.where("amount_minor", "<=", search.amountMaxMinor);
  const before = search.before;
  if (before !== undefined) {
    query = query.where((eb) => eb.or([eb("created_at", "<", before.createdAt), eb.and([eb("created_at", "=", before.createdAt), eb("payment_id", "<", before.paymentId)])]));
  }
  const rows = await query.orderBy("created_at", "desc").orderBy("payment_id", "desc").limit(search.limit + 1).execute();
  const payments = rows.slice(0, search.limit).map(toPaymentRow);
  const last = payments.at(-1);
  return rows.length > search.limit && last !== undefined ? { payments, next: { createdAt: last.createdAt, paymentId: last.paymentId } } : { payments };
}

export type TimelineEvent =
  | { readonly kind: "created"; readonly at: number }
  | { readonly kind: "claimed"; readonly at: number; readonly phoneId: string | null }
  | { readonly kind: "approved"; readonly at: number; readonly transferId: string }
  | { readonly kind: "ended"; readonly at: number; readonly state: PaymentState; readonly reason: string | null }
  | { readonly kind: "result-queued" | "result-sent" | "result-acknowledged"; readonly at: number; readonly resultId: string }
  | { readonly kind: "void" | "refund"; readonly at: number; readonly amountMinor: number; readonly transferId: string; readonly refundId: string };

export interface PaymentDetail {
  readonly payment: PaymentRow;
  readonly storeName: string;
  readonly registerName: string;
  /** Oldest first; events at the same time keep the order a payment lives them. */
  readonly timeline: readonly TimelineEvent[];
}

const ORDER: Readonly<Record<TimelineEvent["kind"], number>> = {
  created: 0,
  claimed: 1,
  approved: 2,
  ended: 2,
  "result-queued": 3,
  "result-sent": 4,
  "result-acknowledged": 5,
  void: 6,
  refund: 6,
};

/** One payment with its store's and register's names and its timeline; undefined if there is none. */
export async function paymentDetail(db: Db, paymentId: string): Promise<PaymentDetail | undefined> {
  const row = await db
    .selectFrom("payments")
    .innerJoin("stores", "stores.id", "payments.store_id")
    .innerJoin("registers", "registers.id", "payments.register_id")
    .selectAll("payments")
    .select(["stores.name as store_name", "registers.name as register_name"])
    .where("payments.payment_id", "=", paymentId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const payment = toPaymentRow(row);
  const [settling, results, reversals] = await Promise.all([
    db.selectFrom("transfers").select(["id", "created_at"]).where("payment_id", "=", paymentId).where("kind", "=", "payment").executeTakeFirst(),
    db.selectFrom("outbox").select(["result_id", "created_at", "sent_at", "acked_at"]).where("payment_id", "=", paymentId).orderBy("created_at").execute(),
    db.selectFrom("reversals").select(["transfer_id", "kind", "refund_id", "amount_minor", "created_at"]).where("payment_id", "=", paymentId).orderBy("created_at").execute(),
  ]);
  const events: TimelineEvent[] = [{ kind: "created", at: payment.createdAt }];
  if (payment.claimedAt !== null || (payment.claimedByPhone !== null && payment.tender === "code")) {
    events.push({ kind: "claimed", at: payment.claimedAt ?? payment.createdAt, phoneId: payment.claimedByPhone });
  }
  if (settling !== undefined) events.push({ kind: "approved", at: Number(settling.created_at), transferId: settling.id });
  else if (payment.state !== "pending" && payment.state !== "claimed" && payment.state !== "approved") {
    events.push({ kind: "ended", at: payment.updatedAt, state: payment.state, reason: payment.reason });
  }
  for (const result of results) {
    events.push({ kind: "result-queued", at: Number(result.created_at), resultId: result.result_id });
    if (result.sent_at !== null) events.push({ kind: "result-sent", at: Number(result.sent_at), resultId: result.result_id });
    if (result.acked_at !== null) events.push({ kind: "result-acknowledged", at: Number(result.acked_at), resultId: result.result_id });
  }
  for (const reversal of reversals) {
    events.push({ kind: reversal.kind, at: Number(reversal.created_at), amountMinor: Number(reversal.amount_minor), transferId: reversal.transfer_id, refundId: reversal.refund_id });
  }
  events.sort((a, b) => a.at - b.at || ORDER[a.kind] - ORDER[b.kind]);
  return { payment, storeName: row.store_name, registerName: row.register_name, timeline: events };
}

export interface StoreChoice {
  readonly id: string;
  readonly name: string;
  readonly currency: string;
}

export async function listStoreChoices(db: Db, storeId?: string): Promise<StoreChoice[]> {
  let query = db.selectFrom("stores").select(["id", "name", "currency"]).orderBy("id");
  if (storeId !== undefined) query = query.where("id", "=", storeId);
  return query.execute();
}

