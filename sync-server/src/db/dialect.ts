import { PostgresAdapter, type Kysely } from "kysely";

export type Dialect = "sqlite" | "postgres";

/**
 * Which database a Kysely instance (or a transaction of it) talks to. Its own module, so migrations
 * can ask without importing the database module that runs them.
 */
// any: whatever schema, and a transaction of it (Transaction extends Kysely).
export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}
