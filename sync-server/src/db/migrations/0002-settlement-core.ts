/**
 * Settlement core (issue 4): voids, refunds, card payments, register periods, the hash-chained audit
 * log, guessing limits, PINs, carrier key rotation, pairing codes. Tables and columns use Kysely's
 * schema builder so one migration serves SQLite and PostgreSQL. Dialects differ only where SQL itself
 * does: triggers (append-only tables, no user overdraft) and replacing a CHECK constraint (PostgreSQL
 * alters it; SQLite cannot, so the table is rebuilt as sqlite.org/lang_altertable.html section 7 says).
 */
import { sql, type Kysely } from "kysely";
import { canonicalEntry, chainHash, GENESIS_HASH } from "../../ledger/audit-chain.js";
import { dialectOf } from "../dialect.js";

type AnyDatabase = Kysely<unknown>;

const STATES_BEFORE = `state in ('pending', 'claimed', 'approved', 'declined', 'expired', 'cancelled')`;
const STATES_AFTER = `state in ('pending', 'claimed', 'approved', 'declined', 'expired', 'cancelled', 'voided')`;
const KINDS_BEFORE = `kind in ('topup', 'payment')`;
const KINDS_AFTER = `kind in ('topup', 'payment', 'void', 'refund')`;

/** Constraints added to existing tables: [table, name, expression]. */
const ADDED_CHECKS: readonly (readonly [string, string, string])[] = [
  ["payments", "payments_reversed_within_amount", "reversed_minor >= 0 and reversed_minor <= amount_minor"],
  ["payments", "payments_tender", "tender in ('code', 'card')"],
  ["transfers", "transfers_reversal_link", "(kind in ('void', 'refund')) = (reverses_transfer_id is not null)"],
];
const REPLACED_CHECKS: readonly (readonly [string, string, string, string])[] = [
  ["payments", "payments_state", STATES_BEFORE, STATES_AFTER],
  ["transfers", "transfers_kind", KINDS_BEFORE, KINDS_AFTER],
];

/** Tables nobody may UPDATE or DELETE: the ledger and its audit trail. */
export const APPEND_ONLY_TABLES = ["transfers", "reversals", "audit_log"] as const;

export async function up(db: AnyDatabase): Promise<void> {
  await addColumns(db);
  await replaceConstraints(db);
  await createTables(db);
  await backfillAuditChain(db);
  await createTriggers(db);
}

async function addColumns(db: AnyDatabase): Promise<void> {
  await db.schema.alterTable("payments").addColumn("tender", "varchar(8)", (c) => c.notNull().defaultTo("code")).execute();
  await db.schema.alterTable("payments").addColumn("card_last4", "varchar(4)").execute();
  // The register period (X/Z report) the payment settled in; NULL until approved.
  await db.schema.alterTable("payments").addColumn("period_number", "integer").execute();
  // Sum of voids and refunds so far: guarded in SQL and by a CHECK, so it can never pass the amount.
  await db.schema.alterTable("payments").addColumn("reversed_minor", "bigint", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("transfers").addColumn("reverses_transfer_id", "varchar(64)", (c) => c.references("transfers.id")).execute();
  // PIN above the threshold: scrypt, like register passwords.
  await db.schema.alterTable("users").addColumn("pin_hash", "varchar(200)").execute();
}

async function replaceConstraints(db: AnyDatabase): Promise<void> {
  if (dialectOf(db) === "postgres") {
    for (const [table, name, , after] of REPLACED_CHECKS) {
      await db.schema.alterTable(table).dropConstraint(name).execute();
      await db.schema.alterTable(table).addCheckConstraint(name, sql.raw(after)).execute();
    }
    for (const [table, name, expression] of ADDED_CHECKS) await db.schema.alterTable(table).addCheckConstraint(name, sql.raw(expression)).execute();
    return;
  }
  for (const table of ["payments", "transfers"]) {
    await rebuildSqliteTable(db, table, (ddl) => {
      let next = ddl;
      for (const [t, name, before, after] of REPLACED_CHECKS) {
        if (t !== table) continue;
        const old = `constraint "${name}" check (${before})`;
        if (!next.includes(old)) throw new Error(`migration 0002: ${table} has no ${old}`);
        next = next.replace(old, `constraint "${name}" check (${after})`);
      }
      const added = ADDED_CHECKS.filter(([t]) => t === table).map(([, name, expression]) => `, constraint "${name}" check (${expression})`);
      return `${next.slice(0, next.lastIndexOf(")"))}${added.join("")})`;
    });
  }
}

/** SQLite's 12-step table change: new table from edited DDL, copy, drop, rename, indexes back. */
async function rebuildSqliteTable(db: AnyDatabase, table: string, edit: (ddl: string) => string): Promise<void> {
  const rows = await sql<{ type: string; sql: string | null }>`select type, sql from sqlite_master where tbl_name = ${table}`.execute(db);
  const ddl = rows.rows.find((r) => r.type === "table")?.sql;
  if (ddl == null) throw new Error(`migration 0002: no table ${table}`);
  const indexes = rows.rows.filter((r) => r.type === "index" && r.sql !== null).map((r) => r.sql as string);
  const temporary = `${table}_rebuilt`;
  const created = edit(ddl).replace(`CREATE TABLE "${table}"`, `CREATE TABLE "${temporary}"`);
  if (!created.startsWith(`CREATE TABLE "${temporary}"`)) throw new Error(`migration 0002: unexpected DDL for ${table}`);
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    try {
      await sql.raw(created).execute(db);
      await sql.raw(`insert into "${temporary}" select * from "${table}"`).execute(db);
      await sql.raw(`drop table "${table}"`).execute(db);
      await sql.raw(`alter table "${temporary}" rename to "${table}"`).execute(db);
      for (const index of indexes) await sql.raw(index).execute(db);
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length > 0) throw new Error(`migration 0002: foreign keys broken after rebuilding ${table}`);
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

async function createTables(db: AnyDatabase): Promise<void> {
  // One row per void or refund, beside its reversing transfer. UNIQUE(payment_id, refund_id) makes a
  // retried refund id one refund; a void is stored with refund_id 'void' (client ids are 8+ chars).
  await db.schema
    .createTable("reversals")
    .addColumn("transfer_id", "varchar(64)", (c) => c.primaryKey().references("transfers.id"))
    .addColumn("payment_id", "varchar(64)", (c) => c.notNull().references("payments.payment_id"))
    .addColumn("kind", "varchar(8)", (c) => c.notNull())
    .addColumn("refund_id", "varchar(64)", (c) => c.notNull())
    .addColumn("amount_minor", "bigint", (c) => c.notNull())
    .addColumn("currency", "varchar(3)", (c) => c.notNull())
    .addColumn("tender", "varchar(8)", (c) => c.notNull())
    .addColumn("register_id", "varchar(32)", (c) => c.notNull().references("registers.id"))
    .addColumn("period_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("reversals_payment_refund", ["payment_id", "refund_id"])
    .addCheckConstraint("reversals_kind", sql`kind in ('void', 'refund')`)
    .addCheckConstraint("reversals_amount_positive", sql`amount_minor > 0`)
    .execute();

  // The audit chain: hash = sha256(prev_hash || canonical entry), one row per transfer.
  await db.schema
    .createTable("audit_log")
    .addColumn("seq", "bigint", (c) => c.primaryKey())
    .addColumn("transfer_id", "varchar(64)", (c) => c.notNull().unique().references("transfers.id"))
    .addColumn("entry_json", "text", (c) => c.notNull())
    .addColumn("prev_hash", "varchar(64)", (c) => c.notNull())
    .addColumn("hash", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  // The chain's head, one row: appenders lock it (FOR UPDATE on PostgreSQL) so the chain never forks.
  await db.schema
    .createTable("audit_head")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("seq", "bigint", (c) => c.notNull())
    .addColumn("hash", "varchar(64)", (c) => c.notNull())
    .addCheckConstraint("audit_head_single_row", sql`id = 1`)
    .execute();
  await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);

  // Register periods: a Z report closes one and the next opens. At most one open period per register.
  await db.schema
    .createTable("periods")
    .addColumn("register_id", "varchar(32)", (c) => c.notNull().references("registers.id"))
    .addColumn("number", "integer", (c) => c.notNull())
    .addColumn("opened_at", "bigint", (c) => c.notNull())
    .addColumn("closed_at", "bigint")
    .addColumn("z_request_id", "varchar(64)")
    .addColumn("report_json", "text")
    .addPrimaryKeyConstraint("periods_pk", ["register_id", "number"])
    .addCheckConstraint("periods_number_positive", sql`number > 0`)
    .execute();
  await db.schema.createIndex("periods_one_open").on("periods").column("register_id").unique().where(sql.ref("closed_at"), "is", null).execute();

  // Cards: only HMAC-SHA256(cardKey, PAN) and the last 4 digits; never the PAN.
  await db.schema
    .createTable("cards")
    .addColumn("token", "varchar(64)", (c) => c.primaryKey())
    .addColumn("user_id", "varchar(32)", (c) => c.notNull().references("users.id"))
    .addColumn("last4", "varchar(4)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  // Carrier signing keys; several per carrier while one is rotated in (retired_at NULL = accepted).
  await db.schema
    .createTable("carrier_keys")
    .addColumn("key_id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("carrier_id", "varchar(32)", (c) => c.notNull().references("carriers.id"))
    .addColumn("public_key_pem", "varchar(500)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("retired_at", "bigint")
    .execute();
  await sql`insert into carrier_keys (key_id, carrier_id, public_key_pem, created_at) select id || '-1', id, public_key_pem, created_at from carriers`.execute(db);

  // Failure counters for guessing limits, per subject ("phone:<id>", "store:<id>").
  await db.schema
    .createTable("guess_limits")
    .addColumn("subject", "varchar(64)", (c) => c.primaryKey())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("window_started_at", "bigint", (c) => c.notNull())
    .addColumn("blocked_until", "bigint", (c) => c.notNull())
    .addColumn("rotations_failures", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  // One-time pairing codes (stored as SHA-256; the code is shown once).
  await db.schema
    .createTable("pairings")
    .addColumn("code_sha256", "varchar(64)", (c) => c.primaryKey())
    .addColumn("register_id", "varchar(32)", (c) => c.notNull().references("registers.id"))
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
}

/** Transfers made before this migration (top-ups, payments) enter the chain in the order they were made. */
async function backfillAuditChain(db: AnyDatabase): Promise<void> {
  const transfers = await sql<{ id: string; debit_account_id: string; credit_account_id: string; amount_minor: number | string; currency: string; kind: string; payment_id: string | null; created_at: number | string }>`
    select id, debit_account_id, credit_account_id, amount_minor, currency, kind, payment_id, created_at from transfers order by created_at, id`.execute(db);
  let previous = GENESIS_HASH;
  let seq = 0;
  for (const t of transfers.rows) {
    seq += 1;
    const entry = canonicalEntry(seq, {
      id: t.id,
      debitAccountId: t.debit_account_id,
      creditAccountId: t.credit_account_id,
      amountMinor: Number(t.amount_minor),
      currency: t.currency,
      kind: t.kind,
      paymentId: t.payment_id,
      reversesTransferId: null,
      createdAt: Number(t.created_at),
    });
    const hash = chainHash(previous, entry);
    await sql`insert into audit_log (seq, transfer_id, entry_json, prev_hash, hash, created_at) values (${seq}, ${t.id}, ${entry}, ${previous}, ${hash}, ${Number(t.created_at)})`.execute(db);
    previous = hash;
  }
  await sql`update audit_head set seq = ${seq}, hash = ${previous} where id = 1`.execute(db);
}

async function createTriggers(db: AnyDatabase): Promise<void> {
  if (dialectOf(db) === "postgres") {
    await sql`create or replace function codepay_append_only() returns trigger language plpgsql as $$
      begin raise exception 'append-only table %: % refused', tg_table_name, tg_op; end $$`.execute(db);
    for (const table of APPEND_ONLY_TABLES) {
      await sql.raw(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function codepay_append_only()`).execute(db);
      await sql.raw(`create trigger ${table}_no_truncate before truncate on ${table} for each statement execute function codepay_append_only()`).execute(db);
    }
    await sql`create or replace function codepay_no_user_overdraft() returns trigger language plpgsql as $$
      begin
        if new.kind = 'user' and new.balance_minor < 0 then raise exception 'user account % would go below zero', new.id; end if;
        return new;
      end $$`.execute(db);
    await sql`create trigger accounts_no_user_overdraft before insert or update on accounts for each row execute function codepay_no_user_overdraft()`.execute(db);
    return;
  }
  for (const table of APPEND_ONLY_TABLES) {
    await sql.raw(`create trigger ${table}_no_update before update on ${table} begin select raise(abort, 'append-only table ${table}: UPDATE refused'); end`).execute(db);
    await sql.raw(`create trigger ${table}_no_delete before delete on ${table} begin select raise(abort, 'append-only table ${table}: DELETE refused'); end`).execute(db);
  }
  await sql`create trigger accounts_no_user_overdraft before update of balance_minor on accounts
    when new.kind = 'user' and new.balance_minor < 0 begin select raise(abort, 'user account would go below zero'); end`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migration 0002 is not reversible: the ledger is append-only");
}
