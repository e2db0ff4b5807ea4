import type { Queryable } from "../database.js";

export async function insertPairing(db: Queryable, row: { codeSha256: string; registerId: string; expiresAt: number; createdAt: number }): Promise<void> {
  await db.insertInto("pairings").values({ code_sha256: row.codeSha256, register_id: row.registerId, expires_at: row.expiresAt, used_at: null, created_at: row.createdAt }).execute();
}

/**
 * Uses the pairing code once: the guarded UPDATE (unused, unexpired) succeeds for exactly one
 * caller, so two agents racing with one code cannot both get credentials. Returns the register.
 */
export async function redeemPairing(db: Queryable, codeSha256: string, now: number): Promise<string | undefined> {
  const row = await db.selectFrom("pairings").select(["register_id"]).where("code_sha256", "=", codeSha256).where("used_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
  if (row === undefined) return undefined;
  const used = await db.updateTable("pairings").set({ used_at: now }).where("code_sha256", "=", codeSha256).where("used_at", "is", null).executeTakeFirst();
  return used.numUpdatedRows === 1n ? row.register_id : undefined;
}

/** Whether a code could be redeemed now (read only): checked before the slow hashes, so a wrong guess costs no CPU. */
export async function pairingUsable(db: Queryable, codeSha256: string, now: number): Promise<boolean> {
  const row = await db.selectFrom("pairings").select(["register_id"]).where("code_sha256", "=", codeSha256).where("used_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
  return row !== undefined;
}
