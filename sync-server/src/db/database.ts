import { mkdirSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, type Transaction } from "kysely";
import { limits } from "../limits.js";
import { migrateToLatest } from "./migrations.js";
import type { DatabaseSchema } from "./schema.js";

export type Db = Kysely<DatabaseSchema>;
export type Tx = Transaction<DatabaseSchema>;
/** Repositories take either the database or an open transaction. */
export type Queryable = Db | Tx;

export const DATABASE_FILE_NAME = "codepay.sqlite";

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE_NAME);
}

/**
 * Opens `<dataDir>/codepay.sqlite` and migrates it. WAL lets the admin CLI work while `serve` runs;
 * synchronous=FULL because a payment server must not lose a commit on power loss (DESIGN-NOTES).
 */
export async function openDatabase(dataDir: string): Promise<Db> {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new BetterSqlite3(databasePath(dataDir));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${limits.sqliteBusyTimeoutMs}`);
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/** Runs `work` in one transaction: every change of one request commits together or not at all. */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
