/**
 * The outbox's unacknowledged rows by register, oldest first (issue 23): every register login reads
 * them (ResultDelivery.resendToRegister), 20,000 logins in a restart storm. The old index
 * (register_id, acked_at) found them but left a sort (a temporary B-tree per login) and held every row
 * ever written; this partial index holds only the unacknowledged ones, in the order they are read, so
 * the read is a range scan and an acknowledgement takes its row out of the index. The depth count
 * (`/health`) and the periodic resend (acked_at IS NULL) read the same small index. SQLite and
 * PostgreSQL both support partial indexes; the queries' `acked_at IS NULL` term is what lets each
 * planner use it.
 */
import { sql, type Kysely } from "kysely";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema
    .createIndex("outbox_unacked_by_register")
    .on("outbox")
    .columns(["register_id", "created_at"])
    .where(sql.ref("acked_at"), "is", null)
    .execute();
  await db.schema.dropIndex("outbox_register_acked").execute();
}

export async function down(): Promise<void> {
  throw new Error("migration 0007 is not reversible");
}
