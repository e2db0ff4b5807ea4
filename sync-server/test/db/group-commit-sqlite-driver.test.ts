/**
 * Group commit on a real SQLite file (WAL): transactions finishing together share one fdatasync of
 * the WAL, none of them returns before a sync that covers it, reads of durable data wait for
 * nothing, a rolled-back transaction leaves the others alone, and a failed fsync is final.
 */
import BetterSqlite3 from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { GroupCommitSqliteDialect, GroupCommitSqliteDriver, WalSyncer } from "../../src/db/group-commit-sqlite-driver.js";
import { makeTempDir } from "../helpers/temp-dir.js";

interface Schema {
  items: { id: string };
}

const opened: { db: Kysely<Schema>; remove: () => void }[] = [];

function open(): { db: Kysely<Schema>; driver: GroupCommitSqliteDriver; sqlite: BetterSqlite3.Database; file: string } {
  const dir = makeTempDir("codepay-group-commit-");
  const file = `${dir.path}/test.sqlite`;
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.exec("create table items (id text primary key)");
  const driver = new GroupCommitSqliteDriver(sqlite, { statementsCachedMax: 50 });
  driver.startGrouping();
  const db = new Kysely<Schema>({ dialect: new GroupCommitSqliteDialect(driver) });
  opened.push({ db, remove: dir.remove });
  return { db, driver, sqlite, file };
}

function committedIds(file: string): string[] {
  const reader = new BetterSqlite3(file, { readonly: true });
  try {
    return (reader.prepare("select id from items order by id").all() as { id: string }[]).map((row) => row.id);
  } finally {
    reader.close();
  }
}

afterEach(async () => {
  for (const { db, remove } of opened.splice(0)) {
    await db.destroy();
    remove();
  }
});

describe("group-commit SQLite driver", () => {
  it("runs SQLite with synchronous=NORMAL once grouping starts (the fsync is the driver's)", () => {
    const { sqlite } = open();
    expect(sqlite.pragma("synchronous", { simple: true })).toBe(1);
  });

  it("transactions finishing together share fdatasyncs, and each returns only after a sync that covers it", async () => {
    const { db, driver, file } = open();
    const syncsAtReturn: number[] = [];
    const ids = Array.from({ length: 20 }, (_, index) => `item-${String(index).padStart(2, "0")}`);
    await Promise.all(
      ids.map(async (id) => {
        await db.transaction().execute(async (tx) => {
          await tx.insertInto("items").values({ id }).execute();
        });
        syncsAtReturn.push(driver.stats.syncs);
      }),
    );
    // The first transaction's sync starts while the others commit; one more sync covers the other 19.
    expect(driver.stats.syncs).toBeLessThanOrEqual(2);
    expect(driver.stats.waiters).toBe(20);
    expect(Math.min(...syncsAtReturn)).toBeGreaterThanOrEqual(1);
    expect(committedIds(file)).toEqual(ids);
  });

  it("a read with nothing unsynced waits for no fsync; a read after an unsynced write does", async () => {
    const { db, driver } = open();
    await db.insertInto("items").values({ id: "a" }).execute();
    const syncs = driver.stats.syncs;
    await db.selectFrom("items").selectAll().execute();
    expect(driver.stats.syncs).toBe(syncs);
    const [, rows] = await Promise.all([db.insertInto("items").values({ id: "b" }).execute(), db.selectFrom("items").selectAll().execute()]);
    expect(rows.map((row) => row.id)).toEqual(["a", "b"]);
    expect(driver.stats.syncs).toBe(syncs + 1);
  });

  it("a transaction that throws rolls back only its own changes; the others commit", async () => {
    const { db, file } = open();
    const results = await Promise.allSettled([
      db.transaction().execute(async (tx) => tx.insertInto("items").values({ id: "kept-1" }).execute()),
      db.transaction().execute(async (tx) => {
        await tx.insertInto("items").values({ id: "undone" }).execute();
        throw new Error("refused by the application");
      }),
      db.transaction().execute(async (tx) => tx.insertInto("items").values({ id: "kept-1" }).execute()),
      db.transaction().execute(async (tx) => tx.insertInto("items").values({ id: "kept-2" }).execute()),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(committedIds(file)).toEqual(["kept-1", "kept-2"]);
  });

  it("another connection in the same process can write between requests (the write lock is never held across event-loop turns)", async () => {
    const { db, file } = open();
    await db.insertInto("items").values({ id: "server" }).execute();
    const admin = new BetterSqlite3(file, { timeout: 100 });
    try {
      admin.exec("begin immediate; insert into items values ('admin'); commit");
    } finally {
      admin.close();
    }
    expect((await db.selectFrom("items").select("id").orderBy("id").execute()).map((row) => row.id)).toEqual(["admin", "server"]);
  });

  it("a failed fsync fails its waiters and every later one: nothing is acknowledged after it", async () => {
    const dir = makeTempDir("codepay-group-commit-");
    try {
      const syncer = new WalSyncer(`${dir.path}/missing/test.sqlite-wal`);
      syncer.noteWrite();
      await expect(syncer.durable()).rejects.toThrow(/fsync of the SQLite WAL failed/);
      expect(syncer.stats.syncs).toBe(0);
      await expect(syncer.durable()).rejects.toThrow(/restart the server/);
    } finally {
      dir.remove();
    }
  });

  it("refuses to group commit without WAL", () => {
    const dir = makeTempDir("codepay-group-commit-");
    const sqlite = new BetterSqlite3(`${dir.path}/rollback-journal.sqlite`);
    try {
      expect(() => new GroupCommitSqliteDriver(sqlite, { statementsCachedMax: 10 }).startGrouping()).toThrow(/WAL/);
    } finally {
      sqlite.close();
      dir.remove();
    }
  });

  it("streams rows of a select", async () => {
    const { db } = open();
    await db.insertInto("items").values([{ id: "a" }, { id: "b" }, { id: "c" }]).execute();
    const seen: string[] = [];
    for await (const row of db.selectFrom("items").select("id").orderBy("id").stream()) seen.push(row.id);
    expect(seen).toEqual(["a", "b", "c"]);
  });

  it("the statement cache starts over past its bound and keeps answering", async () => {
    const { db } = open();
    for (let index = 0; index < 120; index += 1) {
      // 120 distinct SQL texts through a cache of 50.
      const { rows } = await sql<{ n: number }>`select ${sql.lit(index)} as n`.execute(db);
      expect(rows[0]?.n).toBe(index);
    }
  });

  it("a transaction whose writes ran before a sync started but whose COMMIT came after it waits for a later sync", async () => {
    const { db, driver, file } = open();
    let syncsWhenSecondReturned = -1;
    // t1's release starts sync 1; t1b commits while sync 1 is in flight, so sync 2 is queued for it.
    const t1 = db.transaction().execute(async (tx) => {
      await tx.insertInto("items").values({ id: "t1" }).execute();
    });
    const t1b = db.transaction().execute(async (tx) => {
      await tx.insertInto("items").values({ id: "t1b" }).execute();
    });
    // t2 writes, then stays open (a macrotask await, as a transaction awaiting I/O would) until sync 2
    // has started and finished: sync 2 began after t2's INSERT but before t2's COMMIT reached the WAL.
    const t2 = db
      .transaction()
      .execute(async (tx) => {
        await tx.insertInto("items").values({ id: "t2" }).execute();
        while (driver.stats.syncs < 2) await new Promise((resolve) => setTimeout(resolve, 1));
      })
      .then(() => {
        syncsWhenSecondReturned = driver.stats.syncs;
      });
    await Promise.all([t1, t1b, t2]);
    expect(syncsWhenSecondReturned).toBeGreaterThanOrEqual(3);
    expect(committedIds(file)).toEqual(["t1", "t1b", "t2"]);
  });
});
