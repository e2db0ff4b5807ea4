/**
 * The batched engine on a real SQLite file: one write transaction per turn, a failing request rolled
 * back alone, nothing resolved before the WAL sync, cached reads dropped when another connection
 * (an `admin` process) commits. Statement counts are exact: the engine's own counters.
 */
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databasePath, groupCommitDriverOf, groupCommitStatsOf, openDatabase, type Db } from "../../src/db/database.js";
import { precompiledQuery } from "../../src/db/precompiled-query.js";
import { BatchEngine, createBatchEngine, type EngineConnection } from "../../src/engine/batch-engine.js";
import { append, optimistic, statement, type Operation } from "../../src/engine/operation.js";
import { silentLogger } from "../../src/logger.js";
import { sqlStatementsTotal } from "../../src/observability/sql-statements.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const insertStore = precompiledQuery<{ id: string; name: string }, never>((db, param) =>
  db.insertInto("stores").values({ id: param("id"), name: param("name"), currency: param("name"), created_at: param("name") as never }),
);
const insertStoreOnce = precompiledQuery<{ id: string; name: string }, never>((db, param) =>
  db
    .insertInto("stores")
    .values({ id: param("id"), name: param("name"), currency: param("name"), created_at: param("name") as never })
    .onConflict((oc) => oc.column("id").doNothing()),
);
const selectStore = precompiledQuery<{ id: string }, { name: string }>((db, param) => db.selectFrom("stores").select("name").where("id", "=", param("id")));

function* addStore(id: string, fail = false): Operation<string> {
  yield* statement(insertStore, { id, name: "JPY" });
  if (fail) throw new Error(`store ${id} fails after writing`);
  return id;
}

function* storeName(id: string): Operation<string | undefined> {
  const [row] = (yield* statement(selectStore, { id }, { cacheKey: `store:${id}` })).rows;
  return row?.name;
}

describe("batched engine", () => {
  let dir: ReturnType<typeof makeTempDir>;
  let db: Db;
  let engine: BatchEngine;

  beforeEach(async () => {
    dir = makeTempDir();
    db = await openDatabase(dir.path);
    engine = createBatchEngine(db, silentLogger())!;
    expect(engine).toBeDefined();
  });
  afterEach(async () => {
    await engine.drain();
    await db.destroy();
    dir.remove();
  });

  it("runs the requests of one turn in one write transaction, and answers after one WAL sync", async () => {
    const statementsBefore = sqlStatementsTotal();
    const syncsBefore = groupCommitStatsOf(db)!.syncs;
    const answers = await Promise.all(["a", "b", "c"].map((id) => engine.run(() => addStore(id))));
    expect(answers).toEqual(["a", "b", "c"]);
    expect(engine.totals).toMatchObject({ batches: 1, requests: 3, writeTransactions: 1, retriedBatches: 0 });
    // BEGIN, data_version, 3 inserts, COMMIT.
    expect(engine.totals.statements).toBe(6);
    expect(sqlStatementsTotal() - statementsBefore).toBe(6);
    expect(groupCommitStatsOf(db)!.syncs - syncsBefore).toBe(1);
  });

  it("holds a batch while a WAL sync is in flight: requests from several turns share one write transaction", async () => {
    const driver = groupCommitDriverOf(db)!;
    let endSync: () => void = () => undefined;
    let syncing: Promise<void> | undefined = new Promise<void>((resolve) => (endSync = resolve));
    const connection: EngineConnection = {
      exclusive: (work) => driver.exclusive(work),
      whenIdle: (work) => driver.whenIdle(work),
      durable: () => driver.durable(),
      syncInFlight: () => syncing,
      get kyselyWrites() {
        return driver.kyselyWrites;
      },
    };
    const held = new BatchEngine(connection, { batchRequestsMax: 128, cachedReadsMax: 100, logger: silentLogger() });
    const answers: Promise<string>[] = [];
    for (const id of ["a", "b", "c"]) {
      answers.push(held.run(() => addStore(id)));
      await new Promise<void>((resolve) => setImmediate(resolve)); // each request in its own event-loop turn
    }
    expect(held.totals.batches).toBe(0);
    syncing = undefined;
    endSync();
    expect(await Promise.all(answers)).toEqual(["a", "b", "c"]);
    expect(held.totals).toMatchObject({ batches: 1, requests: 3, writeTransactions: 1 });
  });

  it("rolls back a failing request alone; the others commit", async () => {
    const outcomes = await Promise.allSettled([engine.run(() => addStore("a")), engine.run(() => addStore("b", true)), engine.run(() => addStore("c"))]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(engine.totals).toMatchObject({ batches: 1, retriedBatches: 1 });
    const ids = (await db.selectFrom("stores").select("id").orderBy("id").execute()).map((r) => r.id);
    expect(ids).toEqual(["a", "c"]);
  });

  it("writes a batch's deferred rows with one INSERT; a conflicting one (a replay) reruns the batch carefully", async () => {
    function* record(id: string): Operation<string> {
      // As idempotentOp does: the first pass defers its record; the careful pass writes it at once (a conflict: nothing).
      if (yield* optimistic()) {
        yield* append(insertStoreOnce, { id, name: "JPY" }, true);
        return "optimistic";
      }
      yield* statement(insertStoreOnce, { id, name: "JPY" });
      return "careful";
    }
    const before = engine.totals.statements;
    expect(await Promise.all(["x", "y", "z"].map((id) => engine.run(() => record(id))))).toEqual(["optimistic", "optimistic", "optimistic"]);
    // BEGIN, data_version, one 3-row INSERT, COMMIT.
    expect(engine.totals.statements - before).toBe(4);
    expect(await Promise.all(["w", "x"].map((id) => engine.run(() => record(id))))).toEqual(["careful", "careful"]);
    expect(engine.totals.retriedBatches).toBe(1);
    const ids = (await db.selectFrom("stores").select("id").orderBy("id").execute()).map((r) => r.id);
    expect(ids).toEqual(["w", "x", "y", "z"]);
  });

  it("serves a cached read from memory, and drops it when another process commits (PRAGMA data_version)", async () => {
    await engine.run(() => addStore("s"));
    expect(await engine.run(() => storeName("s"))).toBe("JPY");
    const cachedBefore = engine.totals.statements;
    expect(await engine.run(() => storeName("s"))).toBe("JPY");
    // BEGIN, data_version, COMMIT: the read itself came from memory.
    expect(engine.totals.statements - cachedBefore).toBe(3);

    const admin = new BetterSqlite3(databasePath(dir.path));
    admin.prepare("update stores set name = 'renamed' where id = 's'").run();
    admin.close();
    expect(await engine.run(() => storeName("s"))).toBe("renamed");
    expect(await engine.read(() => storeName("s"))).toBe("renamed");
  });

  it("drops cached reads when this process commits through Kysely", async () => {
    await engine.run(() => addStore("k"));
    expect(await engine.read(() => storeName("k"))).toBe("JPY");
    await db.updateTable("stores").set({ name: "kysely" }).where("id", "=", "k").execute();
    expect(await engine.read(() => storeName("k"))).toBe("kysely");
  });
});
