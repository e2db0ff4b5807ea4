/**
 * The first schema, written with Kysely's schema builder only (no SQLite-only SQL) so the same
 * migration runs on PostgreSQL. BIGINT for money and times; CHECKs where they are cheap.
 */
import { sql, type Kysely } from "kysely";

// Migrations must not depend on the current row types: they describe the schema as it was.
type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema
    .createTable("stores")
    .addColumn("id", "varchar(32)", (c) => c.primaryKey())
    .addColumn("name", "varchar(100)", (c) => c.notNull())
    .addColumn("currency", "varchar(3)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("registers")
    .addColumn("id", "varchar(32)", (c) => c.primaryKey())
    .addColumn("store_id", "varchar(32)", (c) => c.notNull().references("stores.id"))
    .addColumn("name", "varchar(100)", (c) => c.notNull())
    .addColumn("password_hash", "varchar(200)", (c) => c.notNull())
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addCheckConstraint("registers_disabled_flag", sql`disabled in (0, 1)`)
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "varchar(32)", (c) => c.primaryKey())
    .addColumn("name", "varchar(100)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("carriers")
    .addColumn("id", "varchar(32)", (c) => c.primaryKey())
    .addColumn("public_key_pem", "varchar(500)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("phones")
    .addColumn("phone_id", "varchar(32)", (c) => c.primaryKey())
    .addColumn("user_id", "varchar(32)", (c) => c.notNull().references("users.id"))
    .addColumn("carrier", "varchar(32)", (c) => c.notNull().references("carriers.id"))
    .addColumn("credential_sha256", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("accounts")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("kind", "varchar(8)", (c) => c.notNull())
    .addColumn("owner_id", "varchar(32)", (c) => c.notNull())
    .addColumn("currency", "varchar(3)", (c) => c.notNull())
    .addColumn("balance_minor", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("accounts_owner_currency", ["kind", "owner_id", "currency"])
    .addCheckConstraint("accounts_kind", sql`kind in ('user', 'store', 'system')`)
    .execute();

  await db.schema
    .createTable("payments")
    .addColumn("payment_id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("store_id", "varchar(32)", (c) => c.notNull().references("stores.id"))
    .addColumn("register_id", "varchar(32)", (c) => c.notNull().references("registers.id"))
    .addColumn("amount_minor", "bigint", (c) => c.notNull())
    .addColumn("currency", "varchar(3)", (c) => c.notNull())
    .addColumn("code", "varchar(16)", (c) => c.notNull())
    .addColumn("open_code", "varchar(16)", (c) => c.unique())
    .addColumn("state", "varchar(10)", (c) => c.notNull())
    .addColumn("reason", "varchar(32)")
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("claimed_by_phone", "varchar(32)", (c) => c.references("phones.phone_id"))
    .addColumn("reference", "varchar(64)")
    .addColumn("lines_json", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addCheckConstraint("payments_amount_positive", sql`amount_minor > 0`)
    .addCheckConstraint(
      "payments_state",
      sql`state in ('pending', 'claimed', 'approved', 'declined', 'expired', 'cancelled')`,
    )
    // An open payment has its code in open_code; a final one has none.
    .addCheckConstraint(
      "payments_open_code",
      sql`(state in ('pending', 'claimed') and open_code is not null) or (state not in ('pending', 'claimed') and open_code is null)`,
    )
    .execute();
  await db.schema.createIndex("payments_code").on("payments").column("code").execute();
  await db.schema.createIndex("payments_state_expires").on("payments").columns(["state", "expires_at"]).execute();

  await db.schema
    .createTable("transfers")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("debit_account_id", "varchar(64)", (c) => c.notNull().references("accounts.id"))
    .addColumn("credit_account_id", "varchar(64)", (c) => c.notNull().references("accounts.id"))
    .addColumn("amount_minor", "bigint", (c) => c.notNull())
    .addColumn("currency", "varchar(3)", (c) => c.notNull())
    .addColumn("kind", "varchar(8)", (c) => c.notNull())
    // One settling transfer per payment, enforced by the database.
    .addColumn("payment_id", "varchar(64)", (c) => c.unique().references("payments.payment_id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addCheckConstraint("transfers_amount_positive", sql`amount_minor > 0`)
    .addCheckConstraint("transfers_kind", sql`kind in ('topup', 'payment')`)
    .addCheckConstraint("transfers_two_sided", sql`debit_account_id <> credit_account_id`)
    .execute();

  await db.schema
    .createTable("idempotency")
    .addColumn("scope", "varchar(64)", (c) => c.notNull())
    .addColumn("request_id", "varchar(64)", (c) => c.notNull())
    .addColumn("request_hash", "varchar(64)", (c) => c.notNull())
    .addColumn("response_json", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("idempotency_pk", ["scope", "request_id"])
    .execute();

  await db.schema
    .createTable("outbox")
    .addColumn("result_id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("store_id", "varchar(32)", (c) => c.notNull())
    .addColumn("register_id", "varchar(32)", (c) => c.notNull().references("registers.id"))
    .addColumn("payment_id", "varchar(64)", (c) => c.notNull().references("payments.payment_id"))
    .addColumn("message_json", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("sent_at", "bigint")
    .addColumn("acked_at", "bigint")
    .execute();
  await db.schema.createIndex("outbox_register_acked").on("outbox").columns(["register_id", "acked_at"]).execute();
}

export async function down(db: AnyDatabase): Promise<void> {
  for (const table of ["outbox", "idempotency", "transfers", "payments", "accounts", "phones", "carriers", "users", "registers", "stores"]) {
    await db.schema.dropTable(table).execute();
  }
}
