import { precompiledQuery } from "../precompiled-query.js";
import type { Queryable } from "../database.js";

export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly responseJson: string;
}

export async function findIdempotencyRecord(db: Queryable, scope: string, requestId: string): Promise<IdempotencyRecord | undefined> {
  const row = await db
    .selectFrom("idempotency")
    .select(["request_hash", "response_json"])
    .where("scope", "=", scope)
    .where("request_id", "=", requestId)
    .executeTakeFirst();
  return row && { requestHash: row.request_hash, responseJson: row.response_json };
}

const insertIdempotencyKey = precompiledQuery<{ scope: string; requestId: string; requestHash: string; responseJson: string; createdAt: number }, { request_id: string }>((db, param) =>
  db
    .insertInto("idempotency")
    .values({ scope: param("scope"), request_id: param("requestId"), request_hash: param("requestHash"), response_json: param("responseJson"), created_at: param("createdAt") })
    .onConflict((oc) => oc.columns(["scope", "request_id"]).doNothing())
    .returning("request_id"),
);

const updateIdempotentResponse = precompiledQuery<{ scope: string; requestId: string; responseJson: string }, never>((db, param) =>
  db.updateTable("idempotency").set({ response_json: param("responseJson") }).where("scope", "=", param("scope")).where("request_id", "=", param("requestId")),
);

/**
 * Claims (scope, request_id) before the work runs: the primary key makes a second effect for one
 * request id impossible. On PostgreSQL a concurrent claim of the same id waits here for the first
 * transaction and then finds its row (ON CONFLICT DO NOTHING), instead of both doing the work.
 * Returns the earlier record when the id was already used.
 */
export async function claimIdempotencyKey(
  db: Queryable,
  key: { scope: string; requestId: string; requestHash: string; createdAt: number },
): Promise<IdempotencyRecord | undefined> {
  // The reply is stored by storeIdempotentResponse once the work is done.
  const inserted = await insertIdempotencyKey(db, { ...key, responseJson: "" });
  if (inserted.rows.length > 0) return undefined;
  const previous = await findIdempotencyRecord(db, key.scope, key.requestId);
  if (previous === undefined) throw new Error(`idempotency key ${key.scope}/${key.requestId} conflicted but is not there`);
  return previous;
}

/** Stores the reply of a claimed key, in the same transaction as the work. */
export async function storeIdempotentResponse(db: Queryable, scope: string, requestId: string, responseJson: string): Promise<void> {
  const result = await updateIdempotentResponse(db, { scope, requestId, responseJson });
  if (result.numAffectedRows !== 1n) throw new Error(`idempotency key ${scope}/${requestId} vanished`);
}
