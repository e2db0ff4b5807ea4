import type { Queryable } from "../database.js";

export async function findCarrierPublicKey(db: Queryable, id: string): Promise<string | undefined> {
  const row = await db.selectFrom("carriers").select("public_key_pem").where("id", "=", id).executeTakeFirst();
  return row?.public_key_pem;
}

/** The key file is the truth: the row follows it. */
export async function upsertCarrier(db: Queryable, id: string, publicKeyPem: string, now: number): Promise<void> {
  await db
    .insertInto("carriers")
    .values({ id, public_key_pem: publicKeyPem, created_at: now })
    .onConflict((oc) => oc.column("id").doUpdateSet({ public_key_pem: publicKeyPem }))
    .execute();
}
