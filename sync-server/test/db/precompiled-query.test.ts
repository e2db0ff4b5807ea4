/**
 * Precompiled queries (db/precompiled-query.ts): compiled once per dialect, each call binds its own
 * values by name, in and out of transactions, on a real SQLite file and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction, openDatabase, type Db } from "../../src/db/database.js";
import { precompiledQuery } from "../../src/db/precompiled-query.js";
import { createPostgresDatabase, dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { makeTempDir } from "../helpers/temp-dir.js";

afterAll(stopPostgres);

const insertStore = precompiledQuery<{ id: string; name: string; currency: string; createdAt: number }, never>((db, param) =>
  db.insertInto("stores").values({ id: param("id"), name: param("name"), currency: param("currency"), created_at: param("createdAt") }),
);
// The same name twice, in a different order from the SQL's: bound by name, not by position.
const storesNamedOrIdentified = precompiledQuery<{ id: string; name: string }, { id: string; name: string }>((db, param) =>
  db
    .selectFrom("stores")
    .select(["id", "name"])
    .where((eb) => eb.or([eb("name", "=", param("name")), eb("id", "=", param("id")), eb("id", "=", param("name"))]))
    .orderBy("id"),
);
const renameStore = precompiledQuery<{ id: string; name: string }, never>((db, param) => db.updateTable("stores").set({ name: param("name") }).where("id", "=", param("id")));

for (const dialect of dialectsUnderTest()) {
  describe(`precompiled queries (${dialect})`, () => {
    const dir = makeTempDir("codepay-precompiled-");
    let db: Db;

    beforeAll(async () => {
      db = await openDatabase(dir.path, dialect === "postgres" ? await createPostgresDatabase() : undefined);
    });
    afterAll(async () => {
      await db.destroy();
      dir.remove();
    });

    it("binds each call's values by name, and counts the rows an update changed", async () => {
      await insertStore(db, { id: "pq-a", name: "Alpha", currency: "JPY", createdAt: 1 });
      await insertStore(db, { id: "pq-b", name: "Beta", currency: "EUR", createdAt: 2 });
      expect((await storesNamedOrIdentified(db, { id: "pq-a", name: "Beta" })).rows).toEqual([
        { id: "pq-a", name: "Alpha" },
        { id: "pq-b", name: "Beta" },
      ]);
      expect((await storesNamedOrIdentified(db, { id: "nobody", name: "pq-b" })).rows).toEqual([{ id: "pq-b", name: "Beta" }]);
      expect((await renameStore(db, { id: "pq-a", name: "Alpha 2" })).numAffectedRows).toBe(1n);
      expect((await renameStore(db, { id: "missing", name: "x" })).numAffectedRows).toBe(0n);
    });

    it("runs in a transaction, and a rollback undoes it", async () => {
      await expect(
        inTransaction(db, async (tx) => {
          await renameStore(tx, { id: "pq-b", name: "Gamma" });
          expect((await storesNamedOrIdentified(tx, { id: "pq-b", name: "" })).rows).toEqual([{ id: "pq-b", name: "Gamma" }]);
          throw new Error("roll back");
        }),
      ).rejects.toThrow("roll back");
      expect((await storesNamedOrIdentified(db, { id: "pq-b", name: "" })).rows).toEqual([{ id: "pq-b", name: "Beta" }]);
    });

    it("refuses a builder that puts a fixed value among the parameters", async () => {
      const fixed = precompiledQuery<{ id: string }, never>((db, param) => db.updateTable("stores").set({ name: "fixed" }).where("id", "=", param("id")));
      await expect(fixed(db, { id: "pq-a" })).rejects.toThrow(/fixed parameter "fixed"/);
      expect((await storesNamedOrIdentified(db, { id: "pq-a", name: "" })).rows).toEqual([{ id: "pq-a", name: "Alpha 2" }]);
    });
  });
}
