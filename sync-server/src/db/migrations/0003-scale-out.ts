/**
 * Scale-out (issue 9): several server instances on one PostgreSQL and one external broker.
 * - registers.broker_password_hash: the register's password in mosquitto's `$7$` form (PBKDF2-SHA512),
 *   so `admin broker files` can write the broker's password file; the scrypt hash stays what the
 *   embedded broker checks. NULL for registers enrolled before this migration (enroll them again).
 * - assertion_nonces: carrier assertion nonces seen by any instance, so an assertion is used once
 *   across all of them; the primary key decides, and rows are pruned once expired.
 */
import type { Kysely } from "kysely";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema.alterTable("registers").addColumn("broker_password_hash", "varchar(200)").execute();
  await db.schema
    .createTable("assertion_nonces")
    .addColumn("nonce", "varchar(200)", (c) => c.primaryKey())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("assertion_nonces_expires_at").on("assertion_nonces").column("expires_at").execute();
}
