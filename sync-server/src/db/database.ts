import { createPrivateFileIfMissing, makePrivateDirectory } from "../private-files.js";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, type Transaction } from "kysely";
import pg from "pg";
import { limits } from "../limits.js";
import { CountingPostgresPool } from "./counting-postgres-pool.js";
import { GroupCommitSqliteDialect, GroupCommitSqliteDriver, type GroupCommitStats } from "./group-commit-sqlite-driver.js";
import { migrateToLatest } from "./migrations.js";
import type { DatabaseSchema } from "./schema.js";

export type Db = Kysely<DatabaseSchema>;
export type Tx = Transaction<DatabaseSchema>;
/** Repositories take either the database or an open transaction. */
export type Queryable = Db | Tx;
export type { Dialect } from "./dialect.js";

export const DATABASE_FILE_NAME = "codepay.sqlite";
/** PostgreSQL's type id of BIGINT (INT8). */
const PG_INT8_OID = 20;

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE_NAME);
}

export { dialectOf } from "./dialect.js";

export interface DatabaseLocation {
  readonly dataDir: string;
  /** postgres://... selects PostgreSQL; absent means `<dataDir>/codepay.sqlite`. */
  readonly databaseUrl?: string | undefined;
}

/**
 * The database URL in effect: an explicit one, else `DATABASE_URL` from the environment (the one
 * place the server reads it, so `serve`, every admin command and the tests agree).
 */
export function effectiveDatabaseUrl(explicit?: string): string | undefined {
  const url = explicit ?? process.env["DATABASE_URL"];
  return url === undefined || url === "" ? undefined : url;
}

function openSqlite(dataDir: string): { db: Db; driver: GroupCommitSqliteDriver } {
  makePrivateDirectory(dataDir);
  createPrivateFileIfMissing(databasePath(dataDir));
  const sqlite = new BetterSqlite3(databasePath(dataDir));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${limits.sqliteBusyTimeoutMs}`);
  const driver = new GroupCommitSqliteDriver(sqlite, { statementsCachedMax: limits.sqliteStatementsCachedMax });
  const db = new Kysely<DatabaseSchema>({ dialect: new GroupCommitSqliteDialect(driver) });
  groupCommitDrivers.set(db, driver);
  return { db, driver };
}

const groupCommitDrivers = new WeakMap<Db, GroupCommitSqliteDriver>();

/** Tells `observer` how long each WAL fdatasync of a SQLite database took; false on PostgreSQL. */
export function observeWalSyncs(db: Db, observer: (durationMs: number) => void): boolean {
  const driver = groupCommitDrivers.get(db);
  driver?.observeSyncs(observer);
  return driver !== undefined;
}

/** The SQLite connection's driver, for the batched engine; undefined on PostgreSQL. */
export function groupCommitDriverOf(db: Db): GroupCommitSqliteDriver | undefined {
  return groupCommitDrivers.get(db);
}

/** WAL fsyncs and the transactions that waited for them, for a SQLite database; undefined on PostgreSQL. */
export function groupCommitStatsOf(db: Db): GroupCommitStats | undefined {
  return groupCommitDrivers.get(db)?.stats;
}

/** BIGINT arrives as a string by default; every BIGINT here (money <= 1e12, epoch ms, counts) is a safe integer. */
export const postgresTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === PG_INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const postgresUrls = new WeakMap<Db, string>();

/** The PostgreSQL URL a database was opened with (the batch runner opens its own connections); undefined on SQLite. */
export function postgresUrlOf(db: Db): string | undefined {
  return postgresUrls.get(db);
}

function openPostgres(url: string): Db {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("DATABASE_URL must start with postgres:// or postgresql://");
  const pool = new pg.Pool({ connectionString: url, max: limits.postgresPoolConnectionsMax, types: postgresTypes });
  // An idle connection that dies (server restart, network) emits "error" on the pool; without a
  // listener Node would crash. The pool drops that connection and the next query opens a new one.
  pool.on("error", () => undefined);
  // Every statement counted (codepay_sql_statements_total), as the SQLite driver counts its own.
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: new CountingPostgresPool(pool) }) });
  postgresUrls.set(db, url);
  return db;
}

/**
 * Opens the database and migrates it. SQLite (default): `<dataDir>/codepay.sqlite`, WAL so the admin
 * CLI can work while `serve` runs, and no acknowledged commit lost on power loss (DESIGN-NOTES): during
 * migrations synchronous=FULL; afterwards group commit (group-commit-sqlite-driver.ts): COMMIT with
 * synchronous=NORMAL, then one fdatasync of the WAL for everyone who finished meanwhile, before any of
 * them returns, so an acknowledged transaction is as durable as with FULL. Transactions start with
 * BEGIN IMMEDIATE (every one writes; the write lock is taken up front, honouring busy_timeout, so
 * `serve` and an admin command never refuse each other). PostgreSQL when the URL says so.
 */
export async function openDatabase(dataDir: string, databaseUrl?: string): Promise<Db> {
  const url = effectiveDatabaseUrl(databaseUrl);
  const sqlite = url === undefined ? openSqlite(dataDir) : undefined;
  const db = sqlite?.db ?? openPostgres(url!);
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // Migrations run their own BEGIN/COMMIT and PRAGMAs; only afterwards do requests share commits.
  // CODEPAY_SQLITE_GROUP_COMMIT=off: synchronous=FULL, one fsync per COMMIT (for A/B benchmarks).
  if (process.env["CODEPAY_SQLITE_GROUP_COMMIT"] !== "off") sqlite?.driver.startGrouping();
  return db;
}

/**
 * `serve` on SQLite: WAL checkpoints move to a worker thread (db/wal-checkpointer.ts), off the thread
 * that serves requests. No-op on PostgreSQL, without group commit, and with
 * CODEPAY_SQLITE_CHECKPOINT=commit (SQLite's in-COMMIT auto-checkpoint, for A/B runs).
 */
export function checkpointInBackground(db: Db, onFailure: (error: Error) => void): void {
  if (process.env["CODEPAY_SQLITE_CHECKPOINT"] === "commit") return;
  groupCommitDrivers.get(db)?.checkpointInBackground({
    intervalMs: limits.sqliteCheckpointIntervalMs,
    backstopFrames: limits.sqliteCheckpointBackstopFrames,
    onFailure,
  });
}

/** Runs `work` in one transaction: every change of one request commits together or not at all. */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
