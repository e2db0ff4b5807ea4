/**
 * The PostgreSQL batch runner (engine/postgres-batch-engine.ts) on a real PostgreSQL, two runners
 * standing for two server instances on one database: each appends to its own audit chain, stores are
 * credited once per batch, requests touching the same stores in opposite orders never deadlock, the
 * shopper's balance guard holds, a failing request rolls back alone, and `admin verify` passes over
 * both chains. The sweeper election (postgres-session.ts): one session at a time, the next one after
 * the first session ends. And the runner reports a dropped connection to the availability gate, which
 * then refuses its batches at once until the database answers again (issue 24).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { sql } from "kysely";
import { openDatabase, type Db } from "../../src/db/database.js";
import { DatabaseAvailability } from "../../src/db/database-availability.js";
import { DatabaseUnavailableError } from "../../src/db/database-faults.js";
import { ensureAccount, findAccountById, postTransferOp, type AccountRow, type TransferRow } from "../../src/db/repositories/accounts.js";
import { findRegisterOp } from "../../src/db/repositories/registers.js";
import { readStoredGuessStateOp, writeGuessStateOp } from "../../src/db/repositories/guess-limits.js";
import { together } from "../../src/engine/operation.js";
import { sqlStatementsTotal } from "../../src/observability/sql-statements.js";
import { PostgresBatchEngine } from "../../src/engine/postgres-batch-engine.js";
import { PostgresSession } from "../../src/engine/postgres-session.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { newId } from "../../src/ids.js";
import { createPostgresDatabase, dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { makeTempDir } from "../helpers/temp-dir.js";

afterAll(stopPostgres);

const logger = pino({ level: "silent" });
const STORES = 6;

describe.runIf(dialectsUnderTest().includes("postgres"))("PostgreSQL batch runner, two instances on one database", () => {
  let url: string;
  let db: Db;
  const dataDir = makeTempDir();
  let system: AccountRow;
  let shopper: AccountRow;
  let stores: AccountRow[];
  const sessions: PostgresSession[] = [];
  const engines: PostgresBatchEngine[] = [];

  beforeAll(async () => {
    url = await createPostgresDatabase();
    db = await openDatabase(dataDir.path, url);
    system = await ensureAccount(db, "system", "funding", "JPY", 1);
    shopper = await ensureAccount(db, "user", "shopper-1", "JPY", 1);
    stores = [];
    for (let index = 0; index < STORES; index += 1) stores.push(await ensureAccount(db, "store", `store-${index}`, "JPY", 1));
    for (let instance = 0; instance < 2; instance += 1) {
      const session = new PostgresSession(url, logger);
      sessions.push(session);
      engines.push(new PostgresBatchEngine({ url, session, batchRequestsMax: 128, cachedReadsMax: 1_000, logger }));
    }
  });
  afterAll(async () => {
    for (const engine of engines) await engine.close();
    for (const session of sessions) await session.close();
    await db?.destroy();
    dataDir.remove();
  });

  const transfer = (debit: AccountRow, credit: AccountRow, amountMinor: number): TransferRow => ({
    id: newId(),
    debitAccountId: debit.id,
    creditAccountId: credit.id,
    amountMinor,
    currency: "JPY",
    kind: debit.kind === "system" ? "topup" : "payment",
    paymentId: null,
    createdAt: Date.now(),
  });
  const post = (engine: PostgresBatchEngine, row: TransferRow, debitMayGoNegative = false) => engine.run(() => postTransferOp(row, { debitMayGoNegative }));

  it("each instance appends its batches to a chain of its own; stores credited per batch; verify passes over every chain", async () => {
    expect(await post(engines[0]!, transfer(system, shopper, 1_000_000), true)).toBe("posted");
    // Both instances at once, the stores in opposite orders: rows shared by the batches are locked in id order, so no deadlock.
    const forward = Array.from({ length: 60 }, (_, index) => post(engines[0]!, transfer(shopper, stores[index % STORES]!, 100)));
    const backward = Array.from({ length: 60 }, (_, index) => post(engines[1]!, transfer(shopper, stores[STORES - 1 - (index % STORES)]!, 100)));
    expect(new Set(await Promise.all([...forward, ...backward]))).toEqual(new Set(["posted"]));

    for (const store of stores) expect((await findAccountById(db, store.id))?.balanceMinor).toBe(2_000);
    expect((await findAccountById(db, shopper.id))?.balanceMinor).toBe(1_000_000 - 12_000);
    const chains = await db.selectFrom("audit_log").select(["chain", (eb) => eb.fn.countAll<number>().as("entries")]).groupBy("chain").orderBy("chain").execute();
    const lanes = await Promise.all(sessions.map((session) => session.lane()));
    expect(new Set(lanes).size).toBe(2);
    expect(lanes.every((lane) => lane > 1)).toBe(true);
    expect(chains.map((row) => Number(row.chain)).sort()).toEqual([...lanes].sort());
    expect(chains.reduce((total, row) => total + Number(row.entries), 0)).toBe(121);
    // Fewer batches than requests: the requests of one turn share a transaction.
    expect(engines[0]!.totals.batches + engines[1]!.totals.batches).toBeLessThan(121);
    expect(await verifyLedger(db)).toMatchObject({ ok: true, checked: { transfers: 121, auditEntries: 121 } });
  });

  it("the shopper's balance guard: a payment beyond the balance is refused, the rest of its batch commits", async () => {
    const before = (await findAccountById(db, shopper.id))!.balanceMinor;
    const results = await Promise.all([
      post(engines[0]!, transfer(shopper, stores[0]!, 500)),
      post(engines[0]!, transfer(shopper, stores[1]!, before + 1)),
      post(engines[0]!, transfer(shopper, stores[2]!, 700)),
    ]);
    expect(results).toEqual(["posted", "insufficient-funds", "posted"]);
    expect((await findAccountById(db, shopper.id))?.balanceMinor).toBe(before - 1_200);
    // The database refuses a user balance below zero whoever asks (trigger), not only the guarded UPDATE.
    await expect(db.updateTable("accounts").set({ balance_minor: -1 }).where("id", "=", shopper.id).execute()).rejects.toThrow(/below zero/);
    expect((await verifyLedger(db)).ok).toBe(true);
  });

  it("a request that fails rolls back alone (savepoints on the second pass); the others in its batch commit", async () => {
    const missing: AccountRow = { ...stores[0]!, id: "no-such-account" };
    const before = (await findAccountById(db, stores[3]!.id))!.balanceMinor;
    const results = await Promise.allSettled([post(engines[1]!, transfer(shopper, stores[3]!, 300)), post(engines[1]!, transfer(shopper, missing, 300)), post(engines[1]!, transfer(shopper, stores[3]!, 400))]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await findAccountById(db, stores[3]!.id))?.balanceMinor).toBe(before + 700);
    expect(engines[1]!.totals.retriedBatches).toBeGreaterThan(0);
    expect((await verifyLedger(db)).ok).toBe(true);
  });

  it("an instance that goes away leaves its chain to the next: same lane, the chain carried on from its head", async () => {
    const lane = await sessions[0]!.lane();
    await engines[0]!.close();
    await sessions[0]!.close();
    const next = new PostgresSession(url, logger);
    sessions[0] = next;
    engines[0] = new PostgresBatchEngine({ url, session: next, batchRequestsMax: 128, cachedReadsMax: 1_000, logger });
    expect(await post(engines[0], transfer(shopper, stores[4]!, 100))).toBe("posted");
    expect(await next.lane()).toBe(lane);
    expect((await verifyLedger(db)).ok).toBe(true);
  });

  it("reference reads come from memory until any writer changes such a row: an operator's change is seen by the next batch of every instance", async () => {
    await db.insertInto("stores").values({ id: "cache-store", name: "Corner", currency: "JPY", created_at: 1 }).execute();
    await db.insertInto("registers").values({ id: "cache-reg", store_id: "cache-store", name: "Till", password_hash: "x", broker_password_hash: null, created_at: 1 }).execute();
    const readRegister = (engine: PostgresBatchEngine) => engine.read(() => findRegisterOp("cache-reg"));
    for (const engine of engines) expect(await readRegister(engine)).toMatchObject({ disabled: false });
    const batches = engines[0]!.totals.batches;
    expect(await readRegister(engines[0]!)).toMatchObject({ disabled: false });
    expect(engines[0]!.cache.get("register:cache-reg")).toBeDefined();
    // The admin command's path: Kysely, outside either runner; the trigger moves reference_version.
    await db.updateTable("registers").set({ disabled: 1 }).where("id", "=", "cache-reg").execute();
    for (const engine of engines) expect(await readRegister(engine)).toMatchObject({ disabled: true });
    expect(engines[0]!.totals.batches).toBe(batches + 2);
  });

  it("a guess counter read that found no row is answered from memory; once another instance writes one, it is read again, locked", async () => {
    const subject = `phone:cache-${newId()}`;
    const readGuess = (engine: PostgresBatchEngine) => engine.run(() => readStoredGuessStateOp(subject));
    expect(await readGuess(engines[0]!)).toBeUndefined();
    const statementsBefore = sqlStatementsTotal();
    expect(await readGuess(engines[0]!)).toBeUndefined();
    // Only the batch's own BEGIN, version read and COMMIT: the read itself came from memory.
    expect(sqlStatementsTotal() - statementsBefore).toBe(3);
    // The other instance counts a failure; the trigger moves reference_version at its commit.
    await engines[1]!.run(() => writeGuessStateOp(subject, { failures: 2, windowStartedAt: 5, blockedUntil: 9, rotationFailures: 0 }));
    expect(await readGuess(engines[0]!)).toEqual({ failures: 2, windowStartedAt: 5, blockedUntil: 9, rotationFailures: 0 });
    // A row was found: it is not kept, so the next read goes to the database (and locks it) again.
    const again = sqlStatementsTotal();
    expect(await readGuess(engines[0]!)).toMatchObject({ failures: 2 });
    expect(sqlStatementsTotal() - again).toBe(4);
  });

  it("statements read together (one pipeline) each get their own answer", async () => {
    const [first, second] = await engines[1]!.run(() => together(findRegisterOp("cache-reg"), readStoredGuessStateOp(`phone:none-${newId()}`)));
    expect(first).toMatchObject({ id: "cache-reg" });
    expect(second).toBeUndefined();
  });

  it("sweeps run on one elected session at a time; when it ends, the next one to ask takes over", async () => {
    const first = new PostgresSession(url, logger);
    const second = new PostgresSession(url, logger);
    try {
      // The runners' sessions above never asked: the first to ask here wins.
      expect(await first.isSweeper()).toBe(true);
      expect(await second.isSweeper()).toBe(false);
      expect(await first.isSweeper()).toBe(true);
      await first.close();
      expect(await second.isSweeper()).toBe(true);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe.runIf(dialectsUnderTest().includes("postgres"))("PostgreSQL batch runner and the availability gate (issue 24)", () => {
  let url: string;
  let db: Db;
  const dataDir = makeTempDir();
  let availability: DatabaseAvailability;
  let session: PostgresSession;
  let engine: PostgresBatchEngine;

  beforeAll(async () => {
    url = await createPostgresDatabase();
    db = await openDatabase(dataDir.path, url);
    availability = new DatabaseAvailability({ delayMsMin: 50, delayMsMax: 200, probe: async () => void (await sql`select 1`.execute(db)) });
    session = new PostgresSession(url, logger, availability);
    engine = new PostgresBatchEngine({ url, session, batchRequestsMax: 128, cachedReadsMax: 1_000, logger, availability });
  });
  afterAll(async () => {
    availability?.close();
    await engine?.close();
    await session?.close();
    await db?.destroy();
    dataDir.remove();
  });

  it("a runner connection the database drops marks it down: batches are refused at once until a probe answers, then they run again", async () => {
    const read = () => engine.run(() => findRegisterOp("no-such-register"));
    expect(await read()).toBeUndefined(); // the runner's connection is open
    // The database ends every other session of this database (as a restart does to them).
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db);
    for (let polls = 0; availability.up; polls += 1) {
      expect(polls).toBeLessThan(500);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Down: refused without a connect attempt, as the Kysely pool refuses.
    await expect(read()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    // The probe finds the database answering; the next batch opens a fresh connection.
    for (let polls = 0; !availability.up; polls += 1) {
      expect(polls).toBeLessThan(500);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await read()).toBeUndefined();
    expect(availability.outages).toBe(1);
  });
});

describe.runIf(dialectsUnderTest().includes("postgres"))("PostgreSQL batch runner and a lost deadlock", () => {
  let url: string;
  let db: Db;
  const dataDir = makeTempDir();
  let session: PostgresSession;
  let engine: PostgresBatchEngine;
  let funding: AccountRow;
  let shopper: AccountRow;

  beforeAll(async () => {
    url = await createPostgresDatabase();
    db = await openDatabase(dataDir.path, url);
    funding = await ensureAccount(db, "system", "funding", "JPY", 1);
    shopper = await ensureAccount(db, "user", "shopper-1", "JPY", 1);
    session = new PostgresSession(url, logger);
    engine = new PostgresBatchEngine({ url, session, batchRequestsMax: 128, cachedReadsMax: 1_000, logger });
    // PostgreSQL's own error for a deadlock's victim, raised by a trigger for as many updates of an
    // account as the sequence allows (nextval is not rolled back with the transaction it ran in).
    await sql`create sequence deadlocks_left start 1`.execute(db);
    await sql.raw(`create function lose_deadlock() returns trigger language plpgsql as $$
      begin
        if nextval('deadlocks_left') <= (select coalesce(max(n), 0) from deadlock_budget) then
          raise exception 'deadlock detected (test)' using errcode = 'deadlock_detected';
        end if;
        return new;
      end $$`).execute(db);
    await sql`create table deadlock_budget (n bigint)`.execute(db);
    await sql`create trigger lose_deadlock before update on accounts for each row execute function lose_deadlock()`.execute(db);
  });
  afterAll(async () => {
    await engine?.close();
    await session?.close();
    await db?.destroy();
    dataDir.remove();
  });

  const topUp = () =>
    engine.run(() => postTransferOp({ id: newId(), debitAccountId: funding.id, creditAccountId: shopper.id, amountMinor: 100, currency: "JPY", kind: "topup", paymentId: null, createdAt: Date.now() }, { debitMayGoNegative: true }));

  it("a request PostgreSQL aborts to break a deadlock runs again in the next batch, once, and posts once", async () => {
    // The first two account updates lose: the batch's optimistic pass, then its pass with savepoints.
    const before = Number((await sql<{ v: string }>`select last_value as v from deadlocks_left`.execute(db)).rows[0]!.v);
    await sql`insert into deadlock_budget values (${before + 2})`.execute(db);
    expect(await topUp()).toBe("posted");
    expect(engine.totals.conflictRetries).toBe(1);
    expect((await findAccountById(db, shopper.id))?.balanceMinor).toBe(100);
    expect(Number((await sql<{ n: string }>`select count(*) as n from transfers`.execute(db)).rows[0]!.n)).toBe(1);
  });

  it("past the retry bound the request fails with PostgreSQL's error, and nothing of it stays", async () => {
    const before = Number((await sql<{ v: string }>`select last_value as v from deadlocks_left`.execute(db)).rows[0]!.v);
    await sql`update deadlock_budget set n = ${before + 1_000}`.execute(db);
    await expect(topUp()).rejects.toMatchObject({ code: "40P01" });
    expect(engine.totals.conflictRetries).toBe(1 + 3);
    expect((await findAccountById(db, shopper.id))?.balanceMinor).toBe(100);
    await sql`update deadlock_budget set n = 0`.execute(db);
    expect(await topUp()).toBe("posted");
  });
});
