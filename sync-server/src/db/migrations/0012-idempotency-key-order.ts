/**
 * The idempotency table keyed by (request_id, scope) instead of (scope, request_id) (issue 14).
 *
 * Registers and phones now make time-ordered request ids (UUID version 7: contract's timeOrderedUuid).
 * Keyed scope first, each new record still landed inside its scope's range, one page per register or
 * phone that sent something: a batch of 16 requests dirtied about 18 pages of this one index, the
 * most of any (4 KiB each to the WAL). Keyed request id first, new records append to the last page.
 * Lookups name both columns, so they use the key either way; ON CONFLICT names the same two columns.
 * Records made with older, random request ids keep working (they just land anywhere, as before).
 *
 * SQLite cannot change a primary key in place: the table is copied into a new one. On PostgreSQL the
 * constraint is replaced (the index rebuilt while the table is locked: run it at a deploy).
 */
import { sql, type Kysely } from "kysely";
import { dialectOf } from "../dialect.js";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  if (dialectOf(db) === "postgres") {
    await sql`alter table idempotency drop constraint idempotency_pk`.execute(db);
    await sql`alter table idempotency add constraint idempotency_pk primary key (request_id, scope)`.execute(db);
    return;
  }
  await db.schema
    .createTable("idempotency_by_request")
    .addColumn("scope", "varchar(64)", (c) => c.notNull())
    .addColumn("request_id", "varchar(64)", (c) => c.notNull())
    .addColumn("request_hash", "varchar(64)", (c) => c.notNull())
    .addColumn("response_json", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("idempotency_pk", ["request_id", "scope"])
    .execute();
  await sql`insert into idempotency_by_request (scope, request_id, request_hash, response_json, created_at)
    select scope, request_id, request_hash, response_json, created_at from idempotency`.execute(db);
  await db.schema.dropTable("idempotency").execute();
  await db.schema.alterTable("idempotency_by_request").renameTo("idempotency").execute();
}

export async function down(): Promise<void> {
  throw new Error("migration 0012 is not reversible");
}
