/**
 * One request, one transaction, one stored reply (Stripe's Idempotency-Key; DESIGN-NOTES "Ledger").
 * The stored reply and every effect commit together, so a retry either sees both or neither.
 *
 * The hot path's operations (engine/operation.ts) run through `runSettlement`: in the batched engine
 * when the context has one (`serve` on SQLite), else in their own Kysely transaction. What they push
 * (results for registers, notices) is delivered only after the commit is on disk.
 */
import { createHash } from "node:crypto";
import { inTransaction, type Tx } from "../db/database.js";
import { claimIdempotencyKey, claimIdempotencyKeyOp, recordIdempotentReplyOp, storeIdempotentResponse, storeIdempotentResponseOp } from "../db/repositories/idempotency.js";
import type { OutboxRow } from "../db/repositories/outbox.js";
import { optimistic, type Operation } from "../engine/operation.js";
import { runOn } from "../engine/run-on-kysely.js";
import type { SettlementContext } from "./context.js";
import type { Notice } from "./guessing.js";

export function requestHash(operation: string, request: unknown): string {
  return createHash("sha256").update(JSON.stringify({ operation, request }), "utf8").digest("hex");
}

/** What a transaction hands on once it is durable: results to push, notices to registers. */
export interface AfterCommit {
  readonly pushed: OutboxRow[];
  readonly notices: Notice[];
}

/** A read-only operation outside any transaction: the engine's cached read, else through Kysely. */
export function readSettlement<T>(context: SettlementContext, attempt: () => Operation<T>): Promise<T> {
  return context.engine !== undefined ? context.engine.read(attempt) : runOn(context.db, attempt());
}

/** Runs one operation in one transaction (the engine's batch, or its own), then delivers what it pushed. */
export async function runSettlement<T>(context: SettlementContext, body: (after: AfterCommit) => Operation<T>): Promise<T> {
  let after: AfterCommit = { pushed: [], notices: [] };
  const result =
    context.engine !== undefined
      ? await context.engine.run(() => {
          after = { pushed: [], notices: [] };
          return body(after);
        })
      : await inTransaction(context.db, (tx) => runOn(tx, body(after)));
  if (after.pushed.length > 0) context.deliverResults(after.pushed);
  for (const notice of after.notices) context.notifyRegister?.(notice.to, notice.message);
  return result;
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

export interface IdempotentKey {
  readonly scope: string;
  readonly requestId: string;
  readonly requestHash: string;
}

/** The idempotent frame as an operation: claim the key, do the work, store the reply, in the caller's transaction. */
export function* idempotentOp<Reply>(key: IdempotentKey, now: number, work: Operation<Reply>): Operation<IdempotentOutcome<Reply>> {
  if (yield* optimistic()) {
    // Nearly every request is new: one statement for its record, after the work (a replay makes the engine run the batch again below).
    const reply = yield* work;
    yield* recordIdempotentReplyOp({ ...key, responseJson: JSON.stringify(reply), createdAt: now });
    return { kind: "fresh", reply };
  }
  const previous = yield* claimIdempotencyKeyOp({ ...key, createdAt: now });
  if (previous !== undefined) {
    if (previous.requestHash !== key.requestHash) return { kind: "mismatch" };
    // Stored by this same code path from a value of type Reply.
    return { kind: "replay", reply: JSON.parse(previous.responseJson) as Reply };
  }
  const reply = yield* work;
  yield* storeIdempotentResponseOp(key.scope, key.requestId, JSON.stringify(reply));
  return { kind: "fresh", reply };
}

/** The requests off the hot path (card payments, voids, refunds, reports): interactive Kysely work in its own transaction. */
export async function runIdempotent<Reply>(context: SettlementContext, work: IdempotentWork<Reply>): Promise<IdempotentOutcome<Reply>> {
  const pushed: OutboxRow[] = [];
  const outcome = await inTransaction(context.db, async (tx): Promise<IdempotentOutcome<Reply>> => {
    const previous = await claimIdempotencyKey(tx, { scope: work.scope, requestId: work.requestId, requestHash: work.requestHash, createdAt: context.clock() });
    if (previous !== undefined) {
      if (previous.requestHash !== work.requestHash) return { kind: "mismatch" };
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
