/**
 * The shopper's wallet (issue 20) reads a user's payments newest first, in keyset pages
 * (db/repositories/wallet.ts):
 * - phones_user_id: the phones of a user (the wallet is the user's; a user may have several phones);
 * - payments_claimed_by_phone_created: a phone's payments by time, so a page is an index range scan
 *   instead of a walk over every payment. NULL claimed_by_phone (open and card payments) is in the
 *   index too, a cost of one entry per payment that the claim's UPDATE moves.
 * Receipt lines need no column: payments.lines_json has held `payment.create`'s lines since 0001.
 */
import type { Kysely } from "kysely";

type AnyDatabase = Kysely<unknown>;

export async function up(db: AnyDatabase): Promise<void> {
  await db.schema.createIndex("phones_user_id").on("phones").column("user_id").execute();
  await db.schema.createIndex("payments_claimed_by_phone_created").on("payments").columns(["claimed_by_phone", "created_at", "payment_id"]).execute();
}

export async function down(db: AnyDatabase): Promise<void> {
  await db.schema.dropIndex("payments_claimed_by_phone_created").execute();
  await db.schema.dropIndex("phones_user_id").execute();
}
