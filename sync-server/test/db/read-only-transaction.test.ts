/**
 * `admin verify` reads the ledger in one read-only transaction. On SQLite (WAL) that is a DEFERRED
 * transaction: one snapshot, no write lock, so `serve` keeps committing while a long verify runs (an
 * IMMEDIATE one held the write lock, and the server's writes failed after busy_timeout). Two real
 * connections to one database file, as `serve` and an admin command have.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeed } from "../../src/index.js";
import { inTransaction, openDatabase, type Db } from "../../src/db/database.js";
import { setRegisterDisabled } from "../../src/db/repositories/registers.js";
import { makeTempDir } from "../helpers/temp-dir.js";

describe("read-only transactions on SQLite", () => {
  const dir = makeTempDir("codepay-read-only-");
  let server: Db;
  let admin: Db;

  beforeAll(async () => {
    delete process.env["DATABASE_URL"];
    await demoSeed({ dataDir: dir.path });
    server = await openDatabase(dir.path);
    admin = await openDatabase(dir.path);
  });
  afterAll(async () => {
    await server.destroy();
    await admin.destroy();
    dir.remove();
  });

  const disabled = async (db: Pick<Db, "selectFrom">) =>
    (await db.selectFrom("registers").select("disabled").where("id", "=", "demo-reg-1").executeTakeFirstOrThrow()).disabled;

  it("a write commits while a read-only transaction is open, which keeps reading its snapshot", async () => {
    const seen = await admin
      .transaction()
      .setAccessMode("read only")
      .execute(async (tx) => {
        const before = await disabled(tx);
        await inTransaction(server, (write) => setRegisterDisabled(write, "demo-reg-1", true));
        return { before, during: await disabled(tx) };
      });
    expect(seen).toEqual({ before: 0, during: 0 });
    expect(await disabled(admin)).toBe(1);
  });
});
