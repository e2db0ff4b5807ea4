/**
 * Audit chains (issue 15): the one hash chain becomes several, each with its own head row, so no row
 * is locked by every approval in the country. `audit_log.chain` names the chain an entry belongs to
 * and `seq` counts within it (primary key (chain, seq)); `audit_head.id` is the chain's number. The
 * existing entries and head are chain 1, unchanged (same hashes, same seq). SQLite cannot change a
 * primary key or drop a CHECK, so there both tables are rebuilt (sqlite.org/lang_altertable.html §7)
 * and audit_log's append-only triggers made again.
 */
import { sql, type Kysely } from "kysely";
import { dialectOf } from "../dialect.js";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  if (dialectOf(db) === "postgres") {
    await sql`alter table audit_log add column chain integer not null default 1`.execute(db);
    await sql`alter table audit_log drop constraint audit_log_pkey`.execute(db);
    await sql`alter table audit_log add constraint audit_log_pkey primary key (chain, seq)`.execute(db);
    await sql`alter table audit_head drop constraint audit_head_single_row`.execute(db);
    await sql`alter table audit_head add constraint audit_head_chain_positive check (id >= 1)`.execute(db);
    return;
  }
  await sql`create table audit_log_chained (
    chain integer not null,
    seq bigint not null,
    transfer_id varchar(64) not null unique references transfers (id),
    entry_json text not null,
    prev_hash varchar(64) not null,
    hash varchar(64) not null unique,
    created_at bigint not null,
    primary key (chain, seq))`.execute(db);
  await sql`insert into audit_log_chained (chain, seq, transfer_id, entry_json, prev_hash, hash, created_at)
    select 1, seq, transfer_id, entry_json, prev_hash, hash, created_at from audit_log`.execute(db);
  await sql`drop table audit_log`.execute(db);
  await sql`alter table audit_log_chained rename to audit_log`.execute(db);
  await sql.raw(`create trigger audit_log_no_update before update on audit_log begin select raise(abort, 'append-only table audit_log: UPDATE refused'); end`).execute(db);
  await sql.raw(`create trigger audit_log_no_delete before delete on audit_log begin select raise(abort, 'append-only table audit_log: DELETE refused'); end`).execute(db);
  await sql`create table audit_head_chained (id integer primary key, seq bigint not null, hash varchar(64) not null, constraint audit_head_chain_positive check (id >= 1))`.execute(db);
  await sql`insert into audit_head_chained (id, seq, hash) select id, seq, hash from audit_head`.execute(db);
  await sql`drop table audit_head`.execute(db);
  await sql`alter table audit_head_chained rename to audit_head`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migration 0004 is not reversible: the ledger is append-only");
}
