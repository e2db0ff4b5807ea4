/**
 * One open payment per register (issue 17, item 1). A register has one customer at a time, so at most
 * one of its payments may hold a code that pays. `open_register` is the register's id while the payment
 * is open (pending or claimed) and NULL once it is final, the same shape as `open_code`; its UNIQUE
 * index lets the database refuse a second open payment on the register, with no extra statement on the
 * create path (the INSERT that allocates the code conflicts; register-requests.ts tells why).
 *
 * Existing rows: only the newest open payment of each register takes the mark. Older open ones (left by
 * an agent before this rule) stay payable until they end, at most one code lifetime; they just do not
 * block the register. A CHECK tying the column to the state is left out because SQLite's ALTER TABLE
 * cannot add one; every writer goes through repositories/payments.ts, which sets both together.
 */
import { sql, type Kysely } from "kysely";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema.alterTable("payments").addColumn("open_register", "varchar(64)").execute();
  await sql`
    update payments set open_register = register_id
    where state in ('pending', 'claimed')
      and not exists (
        select 1 from payments newer
        where newer.register_id = payments.register_id
          and newer.state in ('pending', 'claimed')
          and (newer.created_at > payments.created_at or (newer.created_at = payments.created_at and newer.payment_id > payments.payment_id))
      )`.execute(db);
  await db.schema.createIndex("payments_open_register").on("payments").column("open_register").unique().execute();
}

export async function down(): Promise<void> {
  throw new Error("migration 0009 is not reversible");
}
