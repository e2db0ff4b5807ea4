/**
 * Hot-path queries built and compiled once per dialect, then run with fresh parameters (Kysely's
 * "splitting query building and execution" recipe). Building and compiling a Kysely query on every
 * call was 14 % of the server's CPU at 32 registers (README "Performance"); the SQL of these
 * queries never changes, only their values do.
 *
 * The builder is called once per dialect with markers in place of the values; the compiled query's
 * parameters must then be exactly those markers (checked at that first call), so a value Kysely
 * inlined into the SQL, or a parameter that is not a marker, is a bug caught at once rather than a
 * stale value reused. The same builder code runs on SQLite and PostgreSQL.
 */
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type Compilable, type CompiledQuery, type QueryResult } from "kysely";
import { dialectOf, type Dialect, type Queryable } from "./database.js";
import type { DatabaseSchema } from "./schema.js";

const MARKER_PREFIX = "\u0000codepay-parameter:";

type Parameter<Params> = <Name extends keyof Params & string>(name: Name) => Params[Name];

export interface Compiled<Params> {
  readonly query: CompiledQuery;
  /** For each SQL parameter in order, the name of the value that fills it. */
  readonly names: readonly (keyof Params & string)[];
}

export interface PrecompiledQuery<Params, Row> {
  (db: Queryable, params: Params): Promise<QueryResult<Row>>;
  /** The SQLite SQL and, for each `?` in order, the name of the value that fills it (the batched engine runs it itself). */
  readonly sqlite: () => Compiled<Params>;
  /** The PostgreSQL SQL and, for each `$n` in order, the name of its value (the PostgreSQL batch runner, engine/postgres-batch-engine.ts). */
  readonly postgres: () => Compiled<Params>;
  /** Phantom: the row type, for the engine's typed results. */
  readonly row?: Row;
}

/** A Kysely that only compiles SQLite SQL (no connection): the engine prepares the SQL on its own better-sqlite3 handle. */
const sqliteCompiler = new Kysely<DatabaseSchema>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

/** The same for PostgreSQL: the batch runner sends the SQL as a named prepared statement through its own `pg` client. */
const postgresCompiler = new Kysely<DatabaseSchema>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

function compileWithMarkers<Params, Row>(db: Queryable, build: (db: Queryable, param: Parameter<Params>) => Compilable<Row>): Compiled<Params> {
  const used = new Set<string>();
  const param: Parameter<Params> = (name) => {
    used.add(name);
    // A marker in place of the value; the builder never looks at it, only passes it to Kysely.
    return `${MARKER_PREFIX}${name}` as never;
  };
  const query = build(db, param).compile();
  const names = query.parameters.map((value) => {
    if (typeof value !== "string" || !value.startsWith(MARKER_PREFIX)) throw new Error(`precompiled query has a fixed parameter ${JSON.stringify(value)}: ${query.sql}`);
    return value.slice(MARKER_PREFIX.length) as keyof Params & string;
  });
  for (const name of used) if (!names.includes(name as keyof Params & string)) throw new Error(`precompiled query lost parameter ${name} (inlined?): ${query.sql}`);
  return { query, names };
}

/** A query whose SQL is compiled on first use per dialect; each call binds `params` by name. */
export function precompiledQuery<Params, Row>(build: (db: Queryable, param: Parameter<Params>) => Compilable<Row>): PrecompiledQuery<Params, Row> {
  const byDialect = new Map<Dialect, Compiled<Params>>();
  const run = async (db: Queryable, params: Params) => {
    const dialect = dialectOf(db);
    let compiled = byDialect.get(dialect);
    if (compiled === undefined) {
      compiled = compileWithMarkers(db, build);
      byDialect.set(dialect, compiled);
    }
    const parameters = compiled.names.map((name) => params[name]);
    // The same query node and id each time: no plugin is installed that keys anything on them.
    return db.executeQuery<Row>({ ...compiled.query, parameters } as CompiledQuery<Row>);
  };
  const compiledFor = (dialect: Dialect, compiler: Kysely<DatabaseSchema>): Compiled<Params> => {
    let compiled = byDialect.get(dialect);
    if (compiled === undefined) {
      compiled = compileWithMarkers(compiler, build);
      byDialect.set(dialect, compiled);
    }
    return compiled;
  };
  return Object.assign(run, { sqlite: () => compiledFor("sqlite", sqliteCompiler), postgres: () => compiledFor("postgres", postgresCompiler) });
}
