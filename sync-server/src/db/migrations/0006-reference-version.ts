/**
 * A version of the reference rows (issue 15): the PostgreSQL batch runner keeps registers, stores,
 * phones, PIN hashes, open periods and guess counters in memory, as the SQLite engine does, and needs
 * to know when any instance or an operator changed one. On PostgreSQL a row trigger on each of those
 * tables moves `reference_version.version` in the changing transaction; each batch reads it in the
 * same round trip as its BEGIN and drops its cached reads when it moved (SQLite's `PRAGMA
 * data_version` plays this part there, so SQLite has the table and no triggers). Rows of these tables
 * change rarely (enrolment, a Z report, a wrong guess): the version row is not a hot row.
 */
import { sql, type Kysely } from "kysely";
import { dialectOf } from "../dialect.js";

type AnyDatabase = Kysely<unknown>;

/** The tables the batch runners' cached reads read (their cacheKey statements, engine/operation.ts). */
export const REFERENCE_TABLES = ["registers", "stores", "phones", "users", "periods", "guess_limits"] as const;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema
    .createTable("reference_version")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addCheckConstraint("reference_version_single_row", sql`id = 1`)
    .execute();
  await sql`insert into reference_version (id, version) values (1, 0)`.execute(db);
  if (dialectOf(db) !== "postgres") return;
  await sql`create or replace function codepay_reference_changed() returns trigger language plpgsql as $$
    begin update reference_version set version = version + 1 where id = 1; return null; end $$`.execute(db);
  for (const table of REFERENCE_TABLES) {
    await sql.raw(`create trigger ${table}_reference_changed after insert or update or delete on ${table} for each row execute function codepay_reference_changed()`).execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error("migration 0006 is not reversible");
}
