/**
 * Admin mutations carry a client-made id (`--request-id`): a retry returns the stored result and
 * does nothing twice; the same id with another body is IDEMPOTENCY_MISMATCH. Concurrent retries
 * (PostgreSQL: separate connections) still make one effect, because the key is claimed first under
 * the (scope, request_id) primary key.
 */
import { afterAll, describe, expect, it } from "vitest";
import { balances, createStore, enrollRegister, enrollUser, topUp, verify } from "../../src/index.js";
import { runCli } from "../../src/cli-main.js";
import { openDatabase } from "../../src/db/database.js";
import { dialectsUnderTest, createPostgresDatabase, stopPostgres } from "../helpers/postgres.js";
import { makeTempDir } from "../helpers/temp-dir.js";

afterAll(stopPostgres);

for (const dialect of dialectsUnderTest()) {
  describe(`admin idempotency (${dialect})`, () => {
    async function freshDataDir(): Promise<string> {
      if (dialect === "postgres") process.env["DATABASE_URL"] = await createPostgresDatabase();
      else delete process.env["DATABASE_URL"];
      return makeTempDir("codepay-admin-idem-").path;
    }
    afterAll(() => {
      delete process.env["DATABASE_URL"];
    });

    it("store create and user enroll: a retry returns the first result; secrets are not stored, a replay says so", async () => {
      const dataDir = await freshDataDir();
      const store = await createStore({ dataDir, id: "shop", name: "Shop", currency: "JPY", requestId: "store-1" });
      expect(await createStore({ dataDir, id: "shop", name: "Shop", currency: "JPY", requestId: "store-1" })).toEqual(store);
      await expect(createStore({ dataDir, id: "shop", name: "Renamed", currency: "JPY", requestId: "store-1" })).rejects.toMatchObject({ code: "IDEMPOTENCY_MISMATCH" });
      const register = await enrollRegister({ dataDir, storeId: "shop", registerId: "reg-1", name: "R1", requestId: "reg-1-enroll" });
      const replay = await enrollRegister({ dataDir, storeId: "shop", registerId: "reg-1", name: "R1", requestId: "reg-1-enroll" });
      expect(replay).toEqual({ ...register, password: "[shown once]", agentConfig: { ...register.agentConfig, register: { ...register.agentConfig.register, password: "[shown once]" } } });
      const user = await enrollUser({ dataDir, userId: "alice", name: "Alice", phoneId: "+819012345678", requestId: "alice-enroll" });
      expect(await enrollUser({ dataDir, userId: "alice", name: "Alice", phoneId: "+819012345678", requestId: "alice-enroll" })).toEqual({ ...user, subscriberCredential: "[shown once]" });
    });

    it("concurrent top-ups with one request id move money once", async () => {
      const dataDir = await freshDataDir();
      await createStore({ dataDir, id: "shop", name: "Shop", currency: "JPY" });
      await enrollUser({ dataDir, userId: "bob", name: "Bob", phoneId: "+819012345679" });
      const attempt = () => topUp({ dataDir, userId: "bob", amountMinor: 1_000, currency: "JPY", requestId: "bob-topup" });
      // PostgreSQL: six connections at once. SQLite: one writer per file, and better-sqlite3 blocks the
      // process while it waits for the lock, so in-process attempts go one after another.
      const results = dialect === "postgres" ? await Promise.all(Array.from({ length: 6 }, attempt)) : [await attempt(), await attempt(), await attempt()];
      expect(new Set(results.map((r) => r.transferId)).size).toBe(1);
      const { accounts } = await balances({ dataDir });
      expect(accounts.find((a) => a.ownerId === "bob")?.balanceMinor).toBe(1_000);
      expect((await verify({ dataDir })).ok).toBe(true);
    });

    it("the database itself refuses a second row for one (scope, request id)", async () => {
      const dataDir = await freshDataDir();
      const db = await openDatabase(dataDir);
      try {
        const row = { scope: "admin", request_id: "dup", request_hash: "h", response_json: "{}", created_at: 1 };
        await db.insertInto("idempotency").values(row).execute();
        await expect(db.insertInto("idempotency").values({ ...row, request_hash: "other" }).execute()).rejects.toThrow(/unique|duplicate/i);
      } finally {
        await db.destroy();
      }
    });

    it("the CLI takes --request-id on mutating commands and exits 1 on a mismatch", async () => {
      const dataDir = await freshDataDir();
      const cli = async (...argv: string[]) => {
        const stdout: string[] = [];
        const code = await runCli([...argv, "--json", "--data-dir", dataDir], { stdout: (l) => stdout.push(l), stderr: () => undefined, env: {} });
        return { code, json: JSON.parse(stdout[0] ?? "{}") as Record<string, unknown> };
      };
      const first = await cli("admin", "store", "create", "--id", "cli-shop", "--name", "Cli", "--currency", "EUR", "--request-id", "cli-1");
      expect(first.code).toBe(0);
      expect(await cli("admin", "store", "create", "--id", "cli-shop", "--name", "Cli", "--currency", "EUR", "--request-id", "cli-1")).toEqual(first);
      const mismatch = await cli("admin", "store", "create", "--id", "cli-shop", "--name", "Cli", "--currency", "JPY", "--request-id", "cli-1");
      expect([mismatch.code, (mismatch.json["error"] as { code: string }).code]).toEqual([1, "IDEMPOTENCY_MISMATCH"]);
    });
  });
}
