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

/** The primary key (scope, request_id) makes a second effect for one request id impossible. */
export async function insertIdempotencyRecord(
  db: Queryable,
  record: { scope: string; requestId: string; requestHash: string; responseJson: string; createdAt: number },
): Promise<void> {
  await db
    .insertInto("idempotency")
    .values({
      scope: record.scope,
      request_id: record.requestId,
      request_hash: record.requestHash,
      response_json: record.responseJson,
      created_at: record.createdAt,
    })
    .execute();
}
