import type { Queryable } from "../database.js";

export interface OutboxRow {
  readonly resultId: string;
  readonly storeId: string;
  readonly registerId: string;
  readonly paymentId: string;
  readonly messageJson: string;
}

export async function insertOutboxRow(db: Queryable, row: OutboxRow, now: number): Promise<void> {
  await db
    .insertInto("outbox")
    .values({
      result_id: row.resultId,
      store_id: row.storeId,
      register_id: row.registerId,
      payment_id: row.paymentId,
      message_json: row.messageJson,
      created_at: now,
      sent_at: null,
      acked_at: null,
    })
    .execute();
}

function toOutboxRow(row: { result_id: string; store_id: string; register_id: string; payment_id: string; message_json: string }): OutboxRow {
  return { resultId: row.result_id, storeId: row.store_id, registerId: row.register_id, paymentId: row.payment_id, messageJson: row.message_json };
}

export async function findOutboxRow(db: Queryable, resultId: string): Promise<OutboxRow | undefined> {
  const row = await db.selectFrom("outbox").selectAll().where("result_id", "=", resultId).executeTakeFirst();
  return row && toOutboxRow(row);
}

export async function listUnackedForRegister(db: Queryable, registerId: string, limit: number): Promise<OutboxRow[]> {
  const rows = await db
    .selectFrom("outbox")
    .selectAll()
    .where("register_id", "=", registerId)
    .where("acked_at", "is", null)
    .orderBy("created_at")
    .limit(limit)
    .execute();
  return rows.map(toOutboxRow);
}

/** Unacknowledged results last sent before `sentBefore` (or never sent). */
export async function listUnackedDue(db: Queryable, sentBefore: number, limit: number): Promise<OutboxRow[]> {
  const rows = await db
    .selectFrom("outbox")
    .selectAll()
    .where("acked_at", "is", null)
    .where((eb) => eb.or([eb("sent_at", "is", null), eb("sent_at", "<", sentBefore)]))
    .orderBy("created_at")
    .limit(limit)
    .execute();
  return rows.map(toOutboxRow);
}

export async function markOutboxSent(db: Queryable, resultId: string, now: number): Promise<void> {
  await db.updateTable("outbox").set({ sent_at: now }).where("result_id", "=", resultId).execute();
}

/** Only the register the result was meant for can acknowledge it. */
export async function markOutboxAcked(db: Queryable, resultId: string, registerId: string, paymentId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("outbox")
    .set({ acked_at: now })
    .where("result_id", "=", resultId)
    .where("register_id", "=", registerId)
    .where("payment_id", "=", paymentId)
    .where("acked_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
