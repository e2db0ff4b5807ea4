/**
 * Assertion nonces in the database, for several server instances behind one carrier gateway pool:
 * a nonce one instance accepted is a replay on every other. The primary key on `nonce` decides
 * (INSERT ... ON CONFLICT DO NOTHING, as idempotency keys do); a row whose assertion has expired may
 * be taken again, and `prune` deletes expired rows (the sweep calls it), so the table holds about
 * (assertions per second x assertion lifetime) rows.
 */
import type { Db } from "../db/database.js";
import type { NonceStore, NonceVerdict } from "./nonce-cache.js";

export class SharedNonceStore implements NonceStore {
  constructor(private readonly db: Db) {}

  async remember(nonce: string, expiresAt: number, now: number): Promise<NonceVerdict> {
    const inserted = await this.db
      .insertInto("assertion_nonces")
      .values({ nonce, expires_at: expiresAt })
      .onConflict((oc) => oc.column("nonce").doNothing())
      .returning("nonce")
      .executeTakeFirst();
    if (inserted !== undefined) return "fresh";
    // Known: a replay unless that earlier use has expired (then this one takes the row over).
    const takenOver = await this.db
      .updateTable("assertion_nonces")
      .set({ expires_at: expiresAt })
      .where("nonce", "=", nonce)
      .where("expires_at", "<=", now)
      .executeTakeFirst();
    return takenOver.numUpdatedRows === 1n ? "fresh" : "replayed";
  }

  /** Deletes nonces whose assertions have expired; returns how many. */
  async prune(now: number): Promise<number> {
    const result = await this.db.deleteFrom("assertion_nonces").where("expires_at", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
