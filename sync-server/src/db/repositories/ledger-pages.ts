/**
 * The ledger read in keyset pages (`WHERE key > last ORDER BY key LIMIT n`, never OFFSET) and the
 * rows a page points at, looked up by primary or unique key. One Kysely query each, so SQLite and
 * PostgreSQL run the same code; `admin verify` walks these inside one read transaction.
 */
import type { Queryable } from "../database.js";
import { toTransferRow, type AccountRow, type TransferRow } from "./accounts.js";
import type { AuditRow } from "./audit.js";
import { toPaymentRow, type PaymentRow } from "./payments.js";
import { toReversalRow, type ReversalRow } from "./reversals.js";

/** Every page of a keyset-paginated query, one page in memory at a time. */
export async function* keysetPages<Row, Key>(
  page: (after: Key | undefined, limit: number) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  pageRows: number,
): AsyncGenerator<Row[]> {
  let after: Key | undefined;
  for (;;) {
    const rows = await page(after, pageRows);
    if (rows.length > 0) yield rows;
    if (rows.length < pageRows) return;
    after = keyOf(rows[rows.length - 1] as Row);
  }
}

export async function accountsPage(db: Queryable, afterId: string | undefined, limit: number): Promise<AccountRow[]> {
  let query = db.selectFrom("accounts").selectAll().orderBy("id").limit(limit);
  if (afterId !== undefined) query = query.where("id", ">", afterId);
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, kind: row.kind, ownerId: row.owner_id, currency: row.currency, balanceMinor: Number(row.balance_minor) }));
}

export async function transfersPage(db: Queryable, afterId: string | undefined, limit: number): Promise<TransferRow[]> {
  let query = db.selectFrom("transfers").selectAll().orderBy("id").limit(limit);
  if (afterId !== undefined) query = query.where("id", ">", afterId);
  return (await query.execute()).map(toTransferRow);
}

export async function paymentsPage(db: Queryable, afterId: string | undefined, limit: number): Promise<PaymentRow[]> {
  let query = db.selectFrom("payments").selectAll().orderBy("payment_id").limit(limit);
  if (afterId !== undefined) query = query.where("payment_id", ">", afterId);
  return (await query.execute()).map(toPaymentRow);
}

export async function reversalsPage(db: Queryable, afterTransferId: string | undefined, limit: number): Promise<ReversalRow[]> {
  let query = db.selectFrom("reversals").selectAll().orderBy("transfer_id").limit(limit);
  if (afterTransferId !== undefined) query = query.where("transfer_id", ">", afterTransferId);
  return (await query.execute()).map(toReversalRow);
}

/** Audit entries chain by chain, each in seq order (the primary key's order), after `after`. */
export async function auditPage(db: Queryable, after: { chain: number; seq: number } | undefined, limit: number): Promise<AuditRow[]> {
  let query = db.selectFrom("audit_log").selectAll().orderBy("chain").orderBy("seq").limit(limit);
  if (after !== undefined) query = query.where((eb) => eb.or([eb("chain", ">", after.chain), eb.and([eb("chain", "=", after.chain), eb("seq", ">", after.seq)])]));
  return (await query.execute()).map(toAuditRow);
}

function toAuditRow(row: { chain: number; seq: number; transfer_id: string; entry_json: string; prev_hash: string; hash: string }): AuditRow {
  return { chain: Number(row.chain), seq: Number(row.seq), transferId: row.transfer_id, entryJson: row.entry_json, prevHash: row.prev_hash, hash: row.hash };
}

/** Transfers by id (primary key). */
export async function transfersByIds(db: Queryable, ids: readonly string[]): Promise<TransferRow[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom("transfers").selectAll().where("id", "in", ids).execute()).map(toTransferRow);
}

/** Transfers that name one of these payments (transfers.payment_id is unique, so indexed). */
export async function transfersOfPayments(db: Queryable, paymentIds: readonly string[]): Promise<TransferRow[]> {
  if (paymentIds.length === 0) return [];
  return (await db.selectFrom("transfers").selectAll().where("payment_id", "in", paymentIds).execute()).map(toTransferRow);
}

/** Audit entries of these transfers, in seq order (audit_log.transfer_id is unique). */
export async function auditRowsOfTransfers(db: Queryable, transferIds: readonly string[]): Promise<AuditRow[]> {
  if (transferIds.length === 0) return [];
  return (await db.selectFrom("audit_log").selectAll().where("transfer_id", "in", transferIds).orderBy("chain").orderBy("seq").execute()).map(toAuditRow);
}

/** Which of these transfers have a reversal record (reversals.transfer_id is the primary key). */
export async function reversalTransferIdsAmong(db: Queryable, transferIds: readonly string[]): Promise<Set<string>> {
  if (transferIds.length === 0) return new Set();
  const rows = await db.selectFrom("reversals").select("transfer_id").where("transfer_id", "in", transferIds).execute();
  return new Set(rows.map((row) => row.transfer_id));
}

/** Which of these payments exist. */
export async function paymentIdsAmong(db: Queryable, paymentIds: readonly string[]): Promise<Set<string>> {
  if (paymentIds.length === 0) return new Set();
  const rows = await db.selectFrom("payments").select("payment_id").where("payment_id", "in", paymentIds).execute();
  return new Set(rows.map((row) => row.payment_id));
}

/** Which of these transfers exist. */
export async function transferIdsAmong(db: Queryable, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom("transfers").select("id").where("id", "in", ids).execute();
  return new Set(rows.map((row) => row.id));
}

export const transferPages = (db: Queryable, pageRows: number) => keysetPages<TransferRow, string>((after, limit) => transfersPage(db, after, limit), (t) => t.id, pageRows);
export const accountPages = (db: Queryable, pageRows: number) => keysetPages<AccountRow, string>((after, limit) => accountsPage(db, after, limit), (a) => a.id, pageRows);
export const reversalPages = (db: Queryable, pageRows: number) => keysetPages<ReversalRow, string>((after, limit) => reversalsPage(db, after, limit), (r) => r.transferId, pageRows);
export const paymentPages = (db: Queryable, pageRows: number) => keysetPages<PaymentRow, string>((after, limit) => paymentsPage(db, after, limit), (p) => p.paymentId, pageRows);
export const auditPages = (db: Queryable, pageRows: number) =>
  keysetPages<AuditRow, { chain: number; seq: number }>((after, limit) => auditPage(db, after, limit), (row) => ({ chain: row.chain, seq: row.seq }), pageRows);
