import { precompiledQuery } from "../precompiled-query.js";
import { canonicalEntry, chainHash, type AuditedTransfer } from "../../ledger/audit-chain.js";
import type { Queryable } from "../database.js";
import { statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";


export interface AuditRow {
  /** The chain (audit_head.id) the entry belongs to; seq counts within it. */
  readonly chain: number;
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
export const selectAuditHead = precompiledQuery<{ id: number }, { seq: number; hash: string }>((db, param) => db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", param("id")));
const selectHeadForUpdate = precompiledQuery<{ id: number }, { seq: number; hash: string }>((db, param) =>
  db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", param("id")).forUpdate(),
);
export const insertAuditEntry = precompiledQuery<{ chain: number; seq: number; transferId: string; entryJson: string; prevHash: string; hash: string; now: number }, never>((db, param) =>
  db.insertInto("audit_log").values({ chain: param("chain"), seq: param("seq"), transfer_id: param("transferId"), entry_json: param("entryJson"), prev_hash: param("prevHash"), hash: param("hash"), created_at: param("now") }),
);
export const moveAuditHead = precompiledQuery<{ seq: number; hash: string; id: number; previousSeq: number }, never>((db, param) =>
  db.updateTable("audit_head").set({ seq: param("seq"), hash: param("hash") }).where("id", "=", param("id")).where("seq", "=", param("previousSeq")),
);

/** The chain appenders outside a batch runner use (admin commands, the interactive path, SQLite's single writer). */
export const SHARED_AUDIT_CHAIN = 1;

export function appendAuditEntry(db: Queryable, transfer: AuditedTransfer, now: number): Promise<AuditRow> {
  return runOn(db, appendAuditEntryOp(transfer, now));
}

export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

export type AuditEntryRow = { chain: number; seq: number; transferId: string; entryJson: string; prevHash: string; hash: string; now: number };

/** The chain's next entries for these transfers, in order, after `head` (pure). */
export function chainAfter(head: AuditHead, transfers: readonly { readonly transfer: AuditedTransfer; readonly now: number }[], chain = SHARED_AUDIT_CHAIN): { readonly rows: AuditEntryRow[]; readonly head: AuditHead } {
  let { seq, hash } = { seq: Number(head.seq), hash: head.hash };
  const rows: AuditEntryRow[] = [];
  for (const { transfer, now } of transfers) {
    const entryJson = canonicalEntry(seq + 1, transfer);
    const next = chainHash(hash, entryJson);
    rows.push({ chain, seq: seq + 1, transferId: transfer.id, entryJson, prevHash: hash, hash: next, now });
    seq += 1;
    hash = next;
  }
  return { rows, head: { seq, hash } };
}

export function* appendAuditEntryOp(transfer: AuditedTransfer, now: number): Operation<AuditRow> {
  const [head] = (yield* statement(selectAuditHead, { id: SHARED_AUDIT_CHAIN }, { locking: selectHeadForUpdate })).rows;
  if (head === undefined) throw new Error("the audit head row is missing");
  const { rows: [row] } = chainAfter(head, [{ transfer, now }]);
  yield* statement(insertAuditEntry, row!);
  const moved = yield* statement(moveAuditHead, { seq: row!.seq, hash: row!.hash, id: SHARED_AUDIT_CHAIN, previousSeq: head.seq });
  if (moved.changes !== 1) throw new Error("audit head moved under a transaction");
  return { chain: SHARED_AUDIT_CHAIN, seq: row!.seq, transferId: transfer.id, entryJson: row!.entryJson, prevHash: head.hash, hash: row!.hash };
}

export async function listAuditRows(db: Queryable): Promise<AuditRow[]> {
  const rows = await db.selectFrom("audit_log").selectAll().orderBy("chain").orderBy("seq").execute();
  return rows.map((r) => ({ chain: Number(r.chain), seq: Number(r.seq), transferId: r.transfer_id, entryJson: r.entry_json, prevHash: r.prev_hash, hash: r.hash }));
}

/** Every chain's head, by chain number. */
export async function readAuditHeads(db: Queryable): Promise<{ chain: number; seq: number; hash: string }[]> {
  const heads = await db.selectFrom("audit_head").select(["id", "seq", "hash"]).orderBy("id").execute();
  return heads.map((head) => ({ chain: Number(head.id), seq: Number(head.seq), hash: head.hash }));
}
