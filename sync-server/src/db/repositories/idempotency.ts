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
  const inserted = await db
    .insertInto("idempotency")
    .values({ scope: key.scope, request_id: key.requestId, request_hash: key.requestHash, response_json: "", created_at: key.createdAt })
    .onConflict((oc) => oc.columns(["scope", "request_id"]).doNothing())
    .returning("request_id")
    .executeTakeFirst();
  if (inserted !== undefined) return undefined;
  const previous = await findIdempotencyRecord(db, key.scope, key.requestId);
  if (previous === undefined) throw new Error(`idempotency key ${key.scope}/${key.requestId} conflicted but is not there`);
  return previous;
}

/** Stores the reply of a claimed key, in the same transaction as the work. */
export async function storeIdempotentResponse(db: Queryable, scope: string, requestId: string, responseJson: string): Promise<void> {
  const result = await db.updateTable("idempotency").set({ response_json: responseJson }).where("scope", "=", scope).where("request_id", "=", requestId).executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new Error(`idempotency key ${scope}/${requestId} vanished`);
}
