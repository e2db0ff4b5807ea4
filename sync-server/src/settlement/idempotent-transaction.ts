/**
 * One request, one transaction, one stored reply (Stripe's Idempotency-Key; DESIGN-NOTES "Ledger").
 * The stored reply and every effect commit together, so a retry either sees both or neither.
 */
import { createHash } from "node:crypto";
import { inTransaction, type Tx } from "../db/database.js";
import { claimIdempotencyKey, storeIdempotentResponse } from "../db/repositories/idempotency.js";
import type { OutboxRow } from "../db/repositories/outbox.js";
import type { SettlementContext } from "./context.js";

export function requestHash(operation: string, request: unknown): string {
  return createHash("sha256").update(JSON.stringify({ operation, request }), "utf8").digest("hex");
}

export interface IdempotentWork<Reply> {
  readonly scope: string;
  readonly requestId: string;
  readonly requestHash: string;
  /** Does the work; appends outbox rows to `pushed` for delivery after commit. */
  readonly run: (tx: Tx, pushed: OutboxRow[]) => Promise<Reply>;
}

export type IdempotentOutcome<Reply> =
  | { readonly kind: "fresh"; readonly reply: Reply }
  | { readonly kind: "replay"; readonly reply: Reply }
  | { readonly kind: "mismatch" };

export async function runIdempotent<Reply>(context: SettlementContext, work: IdempotentWork<Reply>): Promise<IdempotentOutcome<Reply>> {
  const pushed: OutboxRow[] = [];
  const outcome = await inTransaction(context.db, async (tx): Promise<IdempotentOutcome<Reply>> => {
    const previous = await claimIdempotencyKey(tx, { scope: work.scope, requestId: work.requestId, requestHash: work.requestHash, createdAt: context.clock() });
    if (previous !== undefined) {
      if (previous.requestHash !== work.requestHash) return { kind: "mismatch" };
      // Stored by this same code path from a value of type Reply.
      return { kind: "replay", reply: JSON.parse(previous.responseJson) as Reply };
    }
    const reply = await work.run(tx, pushed);
    await storeIdempotentResponse(tx, work.scope, work.requestId, JSON.stringify(reply));
    return { kind: "fresh", reply };
  });
  if (pushed.length > 0) context.deliverResults(pushed);
  return outcome;
}

/** A transaction without a stored reply (status, sweep), still delivering its outbox rows after commit. */
export async function runWithOutbox<T>(context: SettlementContext, run: (tx: Tx, pushed: OutboxRow[]) => Promise<T>): Promise<T> {
  const pushed: OutboxRow[] = [];
  const result = await inTransaction(context.db, (tx) => run(tx, pushed));
  if (pushed.length > 0) context.deliverResults(pushed);
  return result;
}
