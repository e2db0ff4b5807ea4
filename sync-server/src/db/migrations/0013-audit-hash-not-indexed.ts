/**
 * audit_log.hash without its UNIQUE index (issue 14). The hash is random by nature (SHA-256), so each
 * entry's index entry landed on a page of its own: about 6 of the 62 WAL pages a commit wrote. Nothing
 * looks an entry up by its hash (the chain is walked by (chain, seq), `admin verify` recomputes every
 * hash), and uniqueness is already implied: an entry's hash covers its transfer id, which is UNIQUE,
 * and the previous hash. The column, its NOT NULL and every other constraint stay.
 *
 * SQLite cannot drop a column constraint: audit_log is rebuilt as migration 0005 did
 * (sqlite.org/lang_altertable.html §7) and its append-only triggers made again. On PostgreSQL the
 * constraint is dropped. On a large ledger the SQLite copy makes the first start after the upgrade
 * take longer (the whole table is rewritten once).
 */
import { sql, type Kysely } from "kysely";
import { dialectOf } from "../dialect.js";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  if (dialectOf(db) === "postgres") {
    await sql`alter table audit_log drop constraint audit_log_hash_key`.execute(db);
    return;
  }
  await sql`create table audit_log_rebuilt (
    chain integer not null,
    seq bigint not null,
    transfer_id varchar(64) not null unique references transfers (id),
    entry_json text not null,
    prev_hash varchar(64) not null,
    hash varchar(64) not null,
    created_at bigint not null,
    primary key (chain, seq))`.execute(db);
  await sql`insert into audit_log_rebuilt (chain, seq, transfer_id, entry_json, prev_hash, hash, created_at)
    select chain, seq, transfer_id, entry_json, prev_hash, hash, created_at from audit_log`.execute(db);
  await sql`drop table audit_log`.execute(db);
  await sql`alter table audit_log_rebuilt rename to audit_log`.execute(db);
  await sql.raw(`create trigger audit_log_no_update before update on audit_log begin select raise(abort, 'append-only table audit_log: UPDATE refused'); end`).execute(db);
  await sql.raw(`create trigger audit_log_no_delete before delete on audit_log begin select raise(abort, 'append-only table audit_log: DELETE refused'); end`).execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migration 0013 is not reversible: the ledger is append-only");
}
