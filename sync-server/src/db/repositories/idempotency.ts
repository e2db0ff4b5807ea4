import { precompiledQuery } from "../precompiled-query.js";
import type { Queryable } from "../database.js";
import { append, statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";


export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly responseJson: string;
}

const selectRecord = precompiledQuery<{ scope: string; requestId: string }, { request_hash: string; response_json: string }>((db, param) =>
  db.selectFrom("idempotency").select(["request_hash", "response_json"]).where("scope", "=", param("scope")).where("request_id", "=", param("requestId")),
);

export function* findIdempotencyRecordOp(scope: string, requestId: string): Operation<IdempotencyRecord | undefined> {
  const [row] = (yield* statement(selectRecord, { scope, requestId })).rows;
  return row && { requestHash: row.request_hash, responseJson: row.response_json };
}

export function findIdempotencyRecord(db: Queryable, scope: string, requestId: string): Promise<IdempotencyRecord | undefined> {
  return runOn(db, findIdempotencyRecordOp(scope, requestId));
}

const insertIdempotencyKey = precompiledQuery<{ scope: string; requestId: string; requestHash: string; responseJson: string; createdAt: number }, { request_id: string }>((db, param) =>
  db
    .insertInto("idempotency")
    .values({ scope: param("scope"), request_id: param("requestId"), request_hash: param("requestHash"), response_json: param("responseJson"), created_at: param("createdAt") })
    .onConflict((oc) => oc.columns(["scope", "request_id"]).doNothing())
    .returning("request_id"),
);

const insertRecord = precompiledQuery<{ scope: string; requestId: string; requestHash: string; responseJson: string; createdAt: number }, never>((db, param) =>
  db
    .insertInto("idempotency")
    .values({ scope: param("scope"), request_id: param("requestId"), request_hash: param("requestHash"), response_json: param("responseJson"), created_at: param("createdAt") })
    .onConflict((oc) => oc.columns(["scope", "request_id"]).doNothing()),
);

/**
 * The record of a request already done, in one statement (the engine's first pass: work first, key
 * after). A conflict means the request was a replay: the engine then runs the batch again with the
 * key claimed first (claimIdempotencyKeyOp), so the replay gets the stored reply and its work is undone.
 */
export function* recordIdempotentReplyOp(record: { scope: string; requestId: string; requestHash: string; responseJson: string; createdAt: number }): Operation<void> {
  yield* append(insertRecord, record, true);
}

const updateIdempotentResponse = precompiledQuery<{ scope: string; requestId: string; responseJson: string }, never>((db, param) =>
  db.updateTable("idempotency").set({ response_json: param("responseJson") }).where("scope", "=", param("scope")).where("request_id", "=", param("requestId")),
);

/**
 * Claims (scope, request_id) before the work runs: the primary key makes a second effect for one
 * request id impossible. On PostgreSQL a concurrent claim of the same id waits here for the first
 * transaction and then finds its row (ON CONFLICT DO NOTHING), instead of both doing the work.
 * Returns the earlier record when the id was already used.
 */
export function* claimIdempotencyKeyOp(key: { scope: string; requestId: string; requestHash: string; createdAt: number }): Operation<IdempotencyRecord | undefined> {
  // The reply is stored by storeIdempotentResponse once the work is done.
  const inserted = yield* statement(insertIdempotencyKey, { ...key, responseJson: "" });
  if (inserted.rows.length > 0) return undefined;
  const previous = yield* findIdempotencyRecordOp(key.scope, key.requestId);
  if (previous === undefined) throw new Error(`idempotency key ${key.scope}/${key.requestId} conflicted but is not there`);
  return previous;
}

/** Stores the reply of a claimed key, in the same transaction as the work. */
export function* storeIdempotentResponseOp(scope: string, requestId: string, responseJson: string): Operation<void> {
  const result = yield* statement(updateIdempotentResponse, { scope, requestId, responseJson });
  if (result.changes !== 1) throw new Error(`idempotency key ${scope}/${requestId} vanished`);
}

export function claimIdempotencyKey(db: Queryable, key: { scope: string; requestId: string; requestHash: string; createdAt: number }): Promise<IdempotencyRecord | undefined> {
  return runOn(db, claimIdempotencyKeyOp(key));
}

export function storeIdempotentResponse(db: Queryable, scope: string, requestId: string, responseJson: string): Promise<void> {
  return runOn(db, storeIdempotentResponseOp(scope, requestId, responseJson));
}
