import { canonicalEntry, chainHash, type AuditedTransfer } from "../../ledger/audit-chain.js";
import { dialectOf, type Queryable } from "../database.js";

export interface AuditRow {
  readonly seq: number;
  readonly transferId: string;
  readonly entryJson: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * Appends the transfer's entry to the chain, in the caller's transaction. The head row is read
 * FOR UPDATE on PostgreSQL, so concurrent appenders queue behind each other instead of forking the
 * chain; SQLite has one writer at a time anyway.
 */
export async function appendAuditEntry(db: Queryable, transfer: AuditedTransfer, now: number): Promise<AuditRow> {
  let headQuery = db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1);
  if (dialectOf(db) === "postgres") headQuery = headQuery.forUpdate();
  const head = await headQuery.executeTakeFirstOrThrow();
  const seq = Number(head.seq) + 1;
  const entryJson = canonicalEntry(seq, transfer);
  const hash = chainHash(head.hash, entryJson);
  await db.insertInto("audit_log").values({ seq, transfer_id: transfer.id, entry_json: entryJson, prev_hash: head.hash, hash, created_at: now }).execute();
  const moved = await db.updateTable("audit_head").set({ seq, hash }).where("id", "=", 1).where("seq", "=", head.seq).executeTakeFirst();
  if (moved.numUpdatedRows !== 1n) throw new Error("audit head moved under a transaction");
  return { seq, transferId: transfer.id, entryJson, prevHash: head.hash, hash };
}

export async function listAuditRows(db: Queryable): Promise<AuditRow[]> {
  const rows = await db.selectFrom("audit_log").selectAll().orderBy("seq").execute();
  return rows.map((r) => ({ seq: Number(r.seq), transferId: r.transfer_id, entryJson: r.entry_json, prevHash: r.prev_hash, hash: r.hash }));
}

export async function readAuditHead(db: Queryable): Promise<{ seq: number; hash: string }> {
  const head = await db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}
