/**
 * The audit chain over ledger entries, pure. Each transfer gets one entry; its hash is
 * sha256(prev_hash || canonical entry), so changing, removing or reordering any entry after the fact
 * breaks every hash after it (`admin verify` recomputes the chain and compares it with the transfers).
 */
import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

/** What the audit log commits to for one transfer: every column of the row. */
export interface AuditedTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly kind: string;
  readonly paymentId: string | null;
  readonly reversesTransferId: string | null;
  readonly createdAt: number;
}

/** JSON with a fixed key order and no optional keys, so the same transfer always gives the same bytes. */
export function canonicalEntry(seq: number, transfer: AuditedTransfer): string {
  return JSON.stringify([
    ["seq", seq],
    ["id", transfer.id],
    ["debit", transfer.debitAccountId],
    ["credit", transfer.creditAccountId],
    ["amountMinor", transfer.amountMinor],
    ["currency", transfer.currency],
    ["kind", transfer.kind],
    ["paymentId", transfer.paymentId],
    ["reverses", transfer.reversesTransferId],
    ["createdAt", transfer.createdAt],
  ]);
}

export function chainHash(previousHash: string, entryJson: string): string {
  return createHash("sha256").update(previousHash, "utf8").update(entryJson, "utf8").digest("hex");
}
