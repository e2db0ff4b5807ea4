/**
 * Background WAL checkpoints (db/wal-checkpointer.ts) on a real SQLite file: a worker thread copies
 * the WAL into the database file while the writer's own auto-checkpoint is off, the driver stops it
 * cleanly with everything written still there, a WAL that a long reader let grow is cut back once
 * the reader is gone (issue 24), and a worker that cannot start is reported.
 */
import { statSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { GroupCommitSqliteDialect, GroupCommitSqliteDriver } from "../../src/db/group-commit-sqlite-driver.js";
import { BackgroundCheckpointer, type CheckpointStats } from "../../src/db/wal-checkpointer.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function walFile(): { file: string; sqlite: BetterSqlite3.Database } {
  const dir = makeTempDir("codepay-checkpoint-");
  cleanups.push(dir.remove);
  const file = `${dir.path}/test.sqlite`;
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.exec("create table items (id integer primary key, body text not null)");
  sqlite.pragma("wal_checkpoint(TRUNCATE)"); // the table itself in the database file, an empty WAL
  return { file, sqlite };
}

function writeRows(sqlite: BetterSqlite3.Database, from: number, count: number): void {
  const insert = sqlite.prepare("insert into items (id, body) values (?, ?)");
  sqlite.transaction(() => {
    for (let id = from; id < from + count; id += 1) insert.run(id, "x".repeat(500));
  })();
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("background WAL checkpoints", () => {
  it("copy the WAL into the database file from a worker while the writer never checkpoints", async () => {
    const { file, sqlite } = walFile();
    cleanups.push(() => {
      sqlite.close();
    });
    sqlite.pragma("wal_autocheckpoint = 0");
    const sizeBefore = statSync(file).size;
    const stats: CheckpointStats = { checkpoints: 0, checkpointFrames: 0, walTruncations: 0 };
    const failures: Error[] = [];
    const checkpointer = new BackgroundCheckpointer(file, { intervalMs: 10, walBytesMax: 1 << 30 }, stats, (error) => failures.push(error));
    for (let batch = 0; batch < 5; batch += 1) writeRows(sqlite, batch * 200, 200);
    await until(() => stats.checkpointFrames > 0, "a background checkpoint");
    await checkpointer.stop();
    expect(failures).toEqual([]);
    expect(stats.checkpoints).toBeGreaterThan(0);
    // Only a checkpoint writes the database file in WAL mode, and this connection's are off.
    expect(statSync(file).size).toBeGreaterThan(sizeBefore + 400 * 1000);
    // Everything is still readable and nothing was lost.
    expect(sqlite.prepare("select count(*) as n from items").get()).toEqual({ n: 1000 });
  });

  it("are stopped by the driver's destroy, after a last checkpoint, with every row kept", async () => {
    const { file, sqlite } = walFile();
    const driver = new GroupCommitSqliteDriver(sqlite, { statementsCachedMax: 50 });
    driver.startGrouping();
    const failures: Error[] = [];
    driver.checkpointInBackground({ intervalMs: 60_000, backstopFrames: 100_000, walBytesMax: 1 << 30, restartDelayMs: 1_000, onFailure: (error) => failures.push(error) });
    const db = new Kysely<{ items: { id: number; body: string } }>({ dialect: new GroupCommitSqliteDialect(driver) });
    for (let id = 0; id < 50; id += 1) await db.insertInto("items").values({ id, body: "y".repeat(500) }).execute();
    expect(driver.stats.checkpoints).toBe(0); // the interval has not come round: only the stop checkpoints
    await db.destroy();
    expect(failures).toEqual([]);
    expect(driver.stats.checkpoints).toBe(1);
    const reader = new BetterSqlite3(file, { readonly: true });
    try {
      expect(reader.prepare("select count(*) as n from items").get()).toEqual({ n: 50 });
    } finally {
      reader.close();
    }
  });

  it("cut a WAL that a long reader let grow past its bound back to zero bytes once every frame is copied (issue 24)", async () => {
    const { file, sqlite } = walFile();
    cleanups.push(() => {
      sqlite.close();
    });
    sqlite.pragma("wal_autocheckpoint = 0");
    const walBytesMax = 1024 * 1024;
    const stats: CheckpointStats = { checkpoints: 0, checkpointFrames: 0, walTruncations: 0 };
    const failures: Error[] = [];
    const checkpointer = new BackgroundCheckpointer(file, { intervalMs: 10, walBytesMax }, stats, (error) => failures.push(error));
    cleanups.push(() => checkpointer.stop());
    // A reader holds its snapshot: no checkpoint can finish the WAL, so every write makes it longer.
    const reader = new BetterSqlite3(file, { readonly: true });
    reader.exec("begin");
    reader.prepare("select count(*) from items").get();
    for (let batch = 0; batch < 10; batch += 1) writeRows(sqlite, batch * 1000, 1000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // several checkpoint rounds: none may cut it while the reader holds it
    const grown = statSync(`${file}-wal`).size;
    expect(grown).toBeGreaterThan(4 * walBytesMax);
    expect(stats.walTruncations).toBe(0);
    reader.exec("commit");
    reader.close();
    await until(() => stats.walTruncations > 0, "a TRUNCATE checkpoint");
    expect(statSync(`${file}-wal`).size).toBeLessThanOrEqual(walBytesMax);
    expect(failures).toEqual([]);
    expect(sqlite.prepare("select count(*) as n from items").get()).toEqual({ n: 10_000 });
    // Below the bound nothing is cut: the WAL is reused, as SQLite means it to be.
    const truncations = stats.walTruncations;
    writeRows(sqlite, 10_000, 100);
    await until(() => stats.checkpointFrames > 0 && statSync(`${file}-wal`).size > 0, "the next write's frames checkpointed");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stats.walTruncations).toBe(truncations);
  });

  it("report a worker that cannot open the database", async () => {
    const dir = makeTempDir("codepay-checkpoint-");
    cleanups.push(dir.remove);
    const stats: CheckpointStats = { checkpoints: 0, checkpointFrames: 0, walTruncations: 0 };
    const failures: Error[] = [];
    const checkpointer = new BackgroundCheckpointer(`${dir.path}/missing.sqlite`, { intervalMs: 10, walBytesMax: 1 << 30 }, stats, (error) => failures.push(error));
    await checkpointer.stop();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/unable to open database file|does not exist/i);
  });
});
