/**
 * Payment ids scoped per register (issue 18, item 7). A register names its payments itself (the
 * client-made id it journals before sending); until now that name was the payment's primary key, so a
 * register that sent another register's id got `PAYMENT_EXISTS` and learned that the id was in use.
 * Now the register's name lives in `register_payment_id`, unique per register, and the register line
 * only ever looks payments up by (register_id, register_payment_id). `payment_id` stays the payment's
 * name everywhere else (phones, ledger, audit chain, outbox, operators): the register's id when no
 * other payment holds it, else a fresh server-made one (settlement/payment-names.ts).
 *
 * Existing rows keep their ids: each one's register name is its payment id (they were one name), so
 * the backfill cannot collide. The column stays nullable in the table definition because SQLite's
 * ALTER TABLE cannot add a NOT NULL column without a default; every insert writes it, and on
 * PostgreSQL it is made NOT NULL after the backfill.
 */
import { sql, type Kysely } from "kysely";
import { dialectOf } from "../dialect.js";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema.alterTable("payments").addColumn("register_payment_id", "varchar(64)").execute();
  await sql`update payments set register_payment_id = payment_id`.execute(db);
  if (dialectOf(db) === "postgres") await sql`alter table payments alter column register_payment_id set not null`.execute(db);
  await db.schema.createIndex("payments_register_payment_id").on("payments").columns(["register_id", "register_payment_id"]).unique().execute();
}

export async function down(): Promise<void> {
  throw new Error("migration 0008 is not reversible");
}
