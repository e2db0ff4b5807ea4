/**
 * Fleet health (issue 20): what the server last heard of each register's presence. One row per
 * register: online or offline (its online presence, its goodbye, its last will, or the embedded
 * broker restarting under it), when that was heard, the agent's version and its devices' states as it
 * reported them. Kept in the database so any instance answers `admin registers` and a restarted
 * instance still knows; written in batches (fleet/presence-recorder.ts), never on the payment path.
 */
import { sql, type Kysely } from "kysely";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema
    .createTable("register_presence")
    .addColumn("register_id", "varchar(64)", (c) => c.primaryKey().references("registers.id"))
    .addColumn("state", "varchar(16)", (c) => c.notNull().check(sql`state in ('online', 'offline')`))
    .addColumn("last_seen_at", "bigint", (c) => c.notNull())
    .addColumn("agent_version", "varchar(32)")
    .addColumn("devices_json", "text")
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("migration 0010 is not reversible");
}
