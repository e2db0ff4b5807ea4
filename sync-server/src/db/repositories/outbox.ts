import { precompiledQuery } from "../precompiled-query.js";
import type { Queryable } from "../database.js";
import { append, later, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";


export interface OutboxRow {
  readonly resultId: string;
  readonly storeId: string;
  readonly registerId: string;
  readonly paymentId: string;
  readonly messageJson: string;
}

const insertRow = precompiledQuery<OutboxRow & { now: number }, never>((db, param) =>
  db.insertInto("outbox").values({
    result_id: param("resultId"),
    store_id: param("storeId"),
    register_id: param("registerId"),
    payment_id: param("paymentId"),
    message_json: param("messageJson"),
    created_at: param("now"),
    sent_at: param("now"),
  }),
);

const updateSent = precompiledQuery<{ now: number; resultId: string }, never>((db, param) =>
  db.updateTable("outbox").set({ sent_at: param("now") }).where("result_id", "=", param("resultId")),
);

/** The register acknowledges in its own words: its id for the payment, resolved to the payment's in the same statement. */
const updateAcked = precompiledQuery<{ now: number; resultId: string; registerId: string; registerPaymentId: string }, never>((db, param) =>
  db
    .updateTable("outbox")
    .set({ acked_at: param("now") })
    .where("result_id", "=", param("resultId"))
    .where("register_id", "=", param("registerId"))
    .where("payment_id", "=", (eb) =>
      eb.selectFrom("payments").select("payments.payment_id").where("payments.register_id", "=", param("registerId")).where("payments.register_payment_id", "=", param("registerPaymentId")),
    )
    .where("acked_at", "is", null),
);

/**
 * A new row is stamped as sent at its creation: it is delivered right after its transaction commits
 * (ResultDelivery.deliver), which then writes nothing, so a payment spares a statement and a write
 * transaction; the periodic resend leaves it alone for one interval, as after any send. A row whose
 * first send failed (or never ran: a crash after the commit) goes again at the next resend after
 * that interval, or at once when its register reconnects. acked_at starts NULL.
 */
export function* insertOutboxRowOp(row: OutboxRow, now: number): Operation<void> {
  yield* append(insertRow, { ...row, now });
}

export function insertOutboxRow(db: Queryable, row: OutboxRow, now: number): Promise<void> {
  return runOn(db, insertOutboxRowOp(row, now));
}

type OutboxTableRow = { result_id: string; store_id: string; register_id: string; payment_id: string; message_json: string };

function toOutboxRow(row: OutboxTableRow): OutboxRow {
  return { resultId: row.result_id, storeId: row.store_id, registerId: row.register_id, paymentId: row.payment_id, messageJson: row.message_json };
}

export async function findOutboxRow(db: Queryable, resultId: string): Promise<OutboxRow | undefined> {
  const row = await db.selectFrom("outbox").selectAll().where("result_id", "=", resultId).executeTakeFirst();
  return row && toOutboxRow(row);
}

const selectUnackedForRegister = precompiledQuery<{ registerId: string; limit: number }, OutboxTableRow>((db, param) =>
  db.selectFrom("outbox").selectAll().where("register_id", "=", param("registerId")).where("acked_at", "is", null).orderBy("created_at").limit(param("limit")),
);

/** Read at every register login (a range scan of the partial index of migration 0007). */
export async function listUnackedForRegister(db: Queryable, registerId: string, limit: number): Promise<OutboxRow[]> {
  return (await selectUnackedForRegister(db, { registerId, limit })).rows.map(toOutboxRow);
}

/** Unacknowledged results last sent (or created) before `sentBefore`; NULL: rows written before sent_at was stamped at insert. */
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
  await updateSent(db, { now, resultId });
}

/**
 * Only the register the result was meant for can acknowledge it. Nothing reads the outcome (an ack
 * of an unknown or already acknowledged result changes nothing), so the write may wait for the
 * batch's deferred writes (engine LaterEffect: on PostgreSQL no round trip of its own).
 */
export function* markOutboxAckedOp(resultId: string, registerId: string, registerPaymentId: string, now: number): Operation<void> {
  yield* later(updateAcked, { now, resultId, registerId, registerPaymentId });
}
