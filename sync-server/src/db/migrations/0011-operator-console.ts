/**
 * The operator console (issue 20): the people who run stores sign in on the operator listener.
 *
 * - operators: accounts made by `admin operator create`; the password is scrypt (auth/password-hash.ts,
 *   a person's password is low-entropy, unlike a register's machine-made secret); role "admin" sees
 *   every store, role "store" only its own (store_id); failed sign-ins counted on the row, so every
 *   instance of a scale-out deployment throttles the same account.
 * - operator_sessions: one row per signed-in browser; the cookie carries a random token and the row
 *   keeps only its SHA-256 (a copy of the database signs nobody in), the CSRF token every change must
 *   carry, and when it expires (idle and absolute).
 * - operator_audit: every change made from the console (a refund, a sign-in, a sign-out) with who and when.
 * - payments.claimed_at: when a phone claimed the payment, for the payment's timeline; NULL before this
 *   migration and for card payments.
 * - payments_store_created: a store's payments newest first, the console's search (a range scan, paged by key).
 */
import { sql, type Kysely } from "kysely";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema
    .createTable("operators")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("username", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("password_hash", "varchar(200)", (c) => c.notNull())
    .addColumn("role", "varchar(8)", (c) => c.notNull().check(sql`role in ('admin', 'store')`))
    .addColumn("store_id", "varchar(32)", (c) => c.references("stores.id"))
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("failed_sign_ins", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addCheckConstraint("operators_store_role", sql`(role = 'store') = (store_id is not null)`)
    .execute();
  await db.schema
    .createTable("operator_sessions")
    .addColumn("token_sha256", "varchar(64)", (c) => c.primaryKey())
    .addColumn("operator_id", "varchar(64)", (c) => c.notNull().references("operators.id"))
    .addColumn("csrf_token", "varchar(64)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_seen_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("operator_sessions_operator").on("operator_sessions").column("operator_id").execute();
  await db.schema
    .createTable("operator_audit")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("operator_id", "varchar(64)", (c) => c.notNull().references("operators.id"))
    .addColumn("action", "varchar(32)", (c) => c.notNull())
    .addColumn("target", "varchar(128)")
    .addColumn("detail_json", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("operator_audit_at").on("operator_audit").columns(["at", "id"]).execute();
  await db.schema.alterTable("payments").addColumn("claimed_at", "bigint").execute();
  await db.schema.createIndex("payments_store_created").on("payments").columns(["store_id", "created_at", "payment_id"]).execute();
}

export async function down(): Promise<void> {
  throw new Error("migration 0011 is not reversible");
}
