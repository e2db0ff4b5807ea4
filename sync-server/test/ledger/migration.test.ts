/** A database made before the settlement core (migration 0001 only) upgrades in place and verifies. */
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { databasePath, openDatabase } from "../../src/db/database.js";
import * as initial from "../../src/db/migrations/0001-initial.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const dirs: { remove: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

describe("migration 0002 on an existing database", () => {
  it("keeps the rows, widens the constraints, backfills the audit chain", async () => {
    const dir = makeTempDir("codepay-migrate-");
    dirs.push(dir);
    const sqlite = new BetterSqlite3(databasePath(dir.path));
    sqlite.pragma("foreign_keys = ON");
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
    const migrated = await new Migrator({ db: old, provider: { getMigrations: async () => ({ "0001-initial": initial }) } }).migrateToLatest();
    expect(migrated.error).toBeUndefined();
    sqlite.exec(`
      insert into stores values ('s', 'S', 'JPY', 1);
      insert into users values ('u', 'U', 1);
      insert into accounts values ('a-sys', 'system', 'issuance', 'JPY', -500, 1), ('a-u', 'user', 'u', 'JPY', 500, 1);
      insert into transfers values ('t-1', 'a-sys', 'a-u', 300, 'JPY', 'topup', null, 10), ('t-2', 'a-sys', 'a-u', 200, 'JPY', 'topup', null, 20);
    `);
    await old.destroy();

    const db = await openDatabase(dir.path);
    try {
      const report = await verifyLedger(db);
      expect(report).toMatchObject({ ok: true, checked: { transfers: 2, auditEntries: 2, accounts: 2 } });
      const audit = await db.selectFrom("audit_log").select(["seq", "transfer_id"]).orderBy("seq").execute();
      expect(audit.map((r) => [Number(r.seq), r.transfer_id])).toEqual([[1, "t-1"], [2, "t-2"]]);
      // The widened CHECKs: 'voided' and the reversal kinds are now allowed, the append-only trigger is in place.
      const ddl = (await db.selectFrom("sqlite_master" as never).select("sql" as never).where("name" as never, "=", "payments" as never).executeTakeFirstOrThrow()) as { sql: string };
      expect(ddl.sql).toContain("'voided'");
      await expect(db.updateTable("transfers").set({ amount_minor: 1 }).execute()).rejects.toThrow(/append-only/);
    } finally {
      await db.destroy();
    }
  });
});
