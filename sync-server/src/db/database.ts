import { mkdirSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type Transaction } from "kysely";
import pg from "pg";
import { limits } from "../limits.js";
import { migrateToLatest } from "./migrations.js";
import type { DatabaseSchema } from "./schema.js";

export type Db = Kysely<DatabaseSchema>;
export type Tx = Transaction<DatabaseSchema>;
/** Repositories take either the database or an open transaction. */
export type Queryable = Db | Tx;
export type Dialect = "sqlite" | "postgres";

export const DATABASE_FILE_NAME = "codepay.sqlite";
/** PostgreSQL's type id of BIGINT (INT8). */
const PG_INT8_OID = 20;

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE_NAME);
}

/** Which database a Kysely instance (or a transaction of it) talks to. */
export function dialectOf(db: Kysely<unknown> | Queryable): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}

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

/**
 * SQLite transactions start with BEGIN IMMEDIATE: every transaction here writes, and a deferred one
 * that reads first and writes later cannot wait for another process's write lock (SQLITE_BUSY at
 * once); an immediate one takes the lock up front, honouring busy_timeout, so `serve` and an admin
 * command never refuse each other.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

function openSqlite(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new BetterSqlite3(databasePath(dataDir));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${limits.sqliteBusyTimeoutMs}`);
  return new Kysely<DatabaseSchema>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
}

function openPostgres(url: string): Db {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("DATABASE_URL must start with postgres:// or postgresql://");
  const pool = new pg.Pool({
    connectionString: url,
    max: limits.postgresPoolConnectionsMax,
    // BIGINT arrives as a string by default; every BIGINT here (money <= 1e12, epoch ms, counts) is a safe integer.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === PG_INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that dies (server restart, network) emits "error" on the pool; without a
  // listener Node would crash. The pool drops that connection and the next query opens a new one.
  pool.on("error", () => undefined);
  return new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Opens the database and migrates it. SQLite (default): `<dataDir>/codepay.sqlite`, WAL so the admin
 * CLI can work while `serve` runs, synchronous=FULL because a payment server must not lose a commit
 * on power loss (DESIGN-NOTES). PostgreSQL when the URL says so.
 */
export async function openDatabase(dataDir: string, databaseUrl?: string): Promise<Db> {
  const url = effectiveDatabaseUrl(databaseUrl);
  const db = url === undefined ? openSqlite(dataDir) : openPostgres(url);
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
