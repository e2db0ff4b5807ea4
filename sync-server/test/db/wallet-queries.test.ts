/**
 * The wallet's history page reads through indexes (migration 0004-wallet-history), not by walking
 * every payment: SQLite's query plan on a real file names the indexes, never a scan of payments.
 * (How fast it is belongs in a bench, not here.)
 */
import { CompiledQuery } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/db/database.js";
import { walletPaymentsPageQuery } from "../../src/db/repositories/wallet.js";
import { makeTempDir } from "../helpers/temp-dir.js";

describe("the wallet history query on SQLite", () => {
  const dir = makeTempDir();
  let db: Db;

  beforeAll(async () => {
    db = await openDatabase(dir.path);
  });

  afterAll(async () => {
    await db?.destroy();
    dir.remove();
  });

  async function plan(phoneIds: string[], before?: { createdAt: number; paymentId: string }): Promise<string[]> {
    const compiled = walletPaymentsPageQuery(db, phoneIds, before, 11).compile();
    const rows = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]));
    return rows.rows.map((row) => row.detail);
  }

  const later = { createdAt: 1_900_000_000_000, paymentId: "pay-00000001" };

  it("reads one phone's page as a range of the index, already in order (no sort)", async () => {
    for (const steps of [await plan(["+810000000001"]), await plan(["+810000000001"], later)]) {
      const text = steps.join("\n");
      expect(text).toMatch(/SEARCH p USING INDEX payments_claimed_by_phone_created \(claimed_by_phone=\?/);
      expect(text).not.toMatch(/SCAN p\b/);
      expect(text).not.toContain("TEMP B-TREE");
    }
  });

  it("reads several phones' payments by the index too (sorting only those)", async () => {
    for (const steps of [await plan(["+810000000001", "+810000000002"]), await plan(["+810000000001", "+810000000002"], later)]) {
      const text = steps.join("\n");
      expect(text).toContain("USING INDEX payments_claimed_by_phone_created");
      expect(text).not.toMatch(/SCAN p\b/);
    }
  });
});
