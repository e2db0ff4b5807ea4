/** Databases made by earlier versions upgrade in place: before the settlement core (0001 only), before one open payment per register (up to 0008), and before the idempotency key was reordered (up to 0011). */
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, sql, type Migration } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { databasePath, openDatabase } from "../../src/db/database.js";
import * as initial from "../../src/db/migrations/0001-initial.js";
import * as settlementCore from "../../src/db/migrations/0002-settlement-core.js";
import * as scaleOut from "../../src/db/migrations/0003-scale-out.js";
import * as walletHistory from "../../src/db/migrations/0004-wallet-history.js";
import * as auditChains from "../../src/db/migrations/0005-audit-chains.js";
import * as referenceVersion from "../../src/db/migrations/0006-reference-version.js";
import * as outboxUnackedIndex from "../../src/db/migrations/0007-outbox-unacked-index.js";
import * as registerPaymentIds from "../../src/db/migrations/0008-register-payment-ids.js";
import * as oneOpenPaymentPerRegister from "../../src/db/migrations/0009-one-open-payment-per-register.js";
import * as registerPresence from "../../src/db/migrations/0010-register-presence.js";
import * as operatorConsole from "../../src/db/migrations/0011-operator-console.js";
import { findIdempotencyRecord } from "../../src/db/repositories/idempotency.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const dirs: { remove: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

/** The migrations earlier releases shipped, in order. */
const EARLIER_MIGRATIONS: readonly (readonly [string, Migration])[] = [
  ["0001-initial", initial],
  ["0002-settlement-core", settlementCore],
  ["0003-scale-out", scaleOut],
  ["0004-wallet-history", walletHistory],
  ["0005-audit-chains", auditChains],
  ["0006-reference-version", referenceVersion],
  ["0007-outbox-unacked-index", outboxUnackedIndex],
  ["0008-register-payment-ids", registerPaymentIds],
  ["0009-one-open-payment-per-register", oneOpenPaymentPerRegister],
  ["0010-register-presence", registerPresence],
  ["0011-operator-console", operatorConsole],
];

/** A database as the release whose last migration was `last` left it, open on its own connection (foreign keys on). */
async function databaseAsOf(last: string): Promise<{ path: string; sqlite: BetterSqlite3.Database; old: Kysely<unknown> }> {
  const dir = makeTempDir(`codepay-migrate-${last.slice(0, 4)}-`);
  dirs.push(dir);
  const sqlite = new BetterSqlite3(databasePath(dir.path));
  sqlite.pragma("foreign_keys = ON");
  const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  const upTo = EARLIER_MIGRATIONS.slice(0, EARLIER_MIGRATIONS.findIndex(([name]) => name === last) + 1);
  if (upTo.at(-1)?.[0] !== last) throw new Error(`no earlier migration ${last}`);
  expect((await new Migrator({ db: old, provider: { getMigrations: async () => Object.fromEntries(upTo) } }).migrateToLatest()).error).toBeUndefined();
  return { path: dir.path, sqlite, old };
}

/** A shopper topped up twice, in a database of the first release (no audit chain yet). */
const TWO_TOP_UPS = `
  insert into stores values ('s', 'S', 'JPY', 1);
  insert into users values ('u', 'U', 1);
  insert into accounts values ('a-sys', 'system', 'issuance', 'JPY', -500, 1), ('a-u', 'user', 'u', 'JPY', 500, 1);
  insert into transfers values ('t-1', 'a-sys', 'a-u', 300, 'JPY', 'topup', null, 10), ('t-2', 'a-sys', 'a-u', 200, 'JPY', 'topup', null, 20);
`;

describe("migration 0002 on an existing database", () => {
  it("keeps the rows, widens the constraints, backfills the audit chain", async () => {
    const { path, sqlite, old } = await databaseAsOf("0001-initial");
    sqlite.exec(TWO_TOP_UPS);
    await old.destroy();

    const db = await openDatabase(path);
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

describe("migration 0009 on an existing database", () => {
  it("marks only each register's newest open payment as holding it; older open ones stay payable until they end", async () => {
    const { path, old } = await databaseAsOf("0008-register-payment-ids");
    const any = old as Kysely<Record<string, Record<string, unknown>>>;
    await any.insertInto("stores").values({ id: "s", name: "S", currency: "JPY", created_at: 1 }).execute();
    await any.insertInto("registers").values([
      { id: "r1", store_id: "s", name: "R1", password_hash: "x", broker_password_hash: null, created_at: 1 },
      { id: "r2", store_id: "s", name: "R2", password_hash: "x", broker_password_hash: null, created_at: 1 },
    ]).execute();
    const payment = (id: string, registerId: string, code: string, state: string, createdAt: number) => ({
      payment_id: id, register_payment_id: id, store_id: "s", register_id: registerId, amount_minor: 100, currency: "JPY", code,
      open_code: state === "pending" || state === "claimed" ? code : null, state, reason: null, expires_at: 10_000, claimed_by_phone: null,
      reference: null, lines_json: null, created_at: createdAt, updated_at: createdAt,
    });
    await any.insertInto("payments").values([
      payment("old-open", "r1", "1111111", "pending", 1),
      payment("new-open", "r1", "2222222", "pending", 2),
      payment("done", "r1", "3333333", "cancelled", 3),
      payment("other-open", "r2", "4444444", "pending", 1),
    ]).execute();
    await old.destroy();

    const db = await openDatabase(path);
    try {
      const rows = await db.selectFrom("payments").select(["payment_id", "open_register"]).orderBy("payment_id").execute();
      expect(rows).toEqual([
        { payment_id: "done", open_register: null },
        { payment_id: "new-open", open_register: "r1" },
        { payment_id: "old-open", open_register: null },
        { payment_id: "other-open", open_register: "r2" },
      ]);
      // The database now refuses a second mark on a register.
      await expect(db.updateTable("payments").set({ open_register: "r1" }).where("payment_id", "=", "old-open").execute()).rejects.toThrow(/UNIQUE/);
    } finally {
      await db.destroy();
    }
  });
});

describe("migration 0012 on an existing database", () => {
  it("keys idempotency records by (request_id, scope), keeping every record findable and every key unique", async () => {
    const { path, sqlite, old } = await databaseAsOf("0011-operator-console");
    sqlite.exec(`
      insert into idempotency values ('register:r1', '0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f', 'h1', '{"reply":1}', 1);
      insert into idempotency values ('phone:p1:claim', '0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f', 'h2', '{"reply":2}', 2);
    `);
    await old.destroy();

    const db = await openDatabase(path);
    try {
      expect(await findIdempotencyRecord(db, "register:r1", "0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f")).toEqual({ requestHash: "h1", responseJson: '{"reply":1}' });
      expect(await findIdempotencyRecord(db, "phone:p1:claim", "0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f")).toEqual({ requestHash: "h2", responseJson: '{"reply":2}' });
      const key = await sql<{ name: string }>`select name from pragma_table_info('idempotency') where pk > 0 order by pk`.execute(db);
      expect(key.rows.map((column) => column.name)).toEqual(["request_id", "scope"]);
      await expect(db.insertInto("idempotency").values({ scope: "register:r1", request_id: "0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f", request_hash: "h3", response_json: "{}", created_at: 3 }).execute()).rejects.toThrow(/UNIQUE/);
    } finally {
      await db.destroy();
    }
  });
});

describe("migration 0013 on an existing database", () => {
  it("keeps every audit entry as it was, drops only the hash's unique index, and the log stays append-only", async () => {
    const { path, sqlite, old } = await databaseAsOf("0001-initial");
    sqlite.exec(TWO_TOP_UPS);
    await old.destroy();

    const db = await openDatabase(path);
    try {
      expect(await verifyLedger(db)).toMatchObject({ ok: true, checked: { transfers: 2, auditEntries: 2 } });
      const entries = await db.selectFrom("audit_log").select(["chain", "seq", "transfer_id", "prev_hash", "hash"]).orderBy("seq").execute();
      expect(entries.map((entry) => [entry.chain, Number(entry.seq), entry.transfer_id])).toEqual([[1, 1, "t-1"], [1, 2, "t-2"]]);
      expect(entries[1]!.prev_hash).toBe(entries[0]!.hash);
      const indexes = await sql<{ name: string; columns: string }>`select il.name, (select group_concat(name) from pragma_index_info(il.name)) as columns from pragma_index_list('audit_log') il`.execute(db);
      expect(indexes.rows.map((index) => index.columns).sort()).toEqual(["chain,seq", "transfer_id"]);
      await expect(db.updateTable("audit_log").set({ hash: "x" }).execute()).rejects.toThrow(/append-only/);
      await expect(db.deleteFrom("audit_log").execute()).rejects.toThrow(/append-only/);
    } finally {
      await db.destroy();
    }
  });
});
