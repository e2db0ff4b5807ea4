/**
 * The PostgreSQL pool as Kysely sees it, with every statement counted (observability/sql-statements.ts):
 * Kysely's PostgresDriver sends queries, BEGIN/COMMIT/ROLLBACK and SAVEPOINTs through `client.query`,
 * so counting there counts them all. A write transaction is counted at a COMMIT after a changing
 * statement (INSERT, UPDATE, DELETE, MERGE), or at a changing statement outside a transaction.
 *
 * Each pg client keeps one wrapper (Kysely caches its connections by client identity).
 */
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import type pg from "pg";
import { countSqlStatements, countSqlWriteTransactions } from "../observability/sql-statements.js";
import type { DatabaseAvailability } from "./database-availability.js";

const CHANGING_COMMANDS = new Set(["INSERT", "UPDATE", "DELETE", "MERGE"]);

class CountingClient implements PostgresPoolClient {
  /** Inside BEGIN ... COMMIT/ROLLBACK on this connection. */
  #inTransaction = false;
  #changed = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly availability: DatabaseAvailability,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sql: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    countSqlStatements();
    // A cursor (Kysely's streamQuery, when a cursor class is configured) is one statement read in pieces.
    if (typeof sql !== "string") return this.client.query(sql as unknown as pg.Submittable) as unknown as PostgresCursor<R>;
    return this.#query(sql, parameters ?? []);
  }

  async #query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    let result: PostgresQueryResult<R>;
    try {
      result = (await this.client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>;
    } catch (error) {
      this.availability.noteError(error);
      throw error;
    }
    this.#observe(result.command as string);
    return result;
  }

  release(destroy?: boolean): void {
    // A connection given back mid-transaction (an error Kysely gives up on) starts clean for its next user.
    this.#inTransaction = false;
    this.#changed = false;
    this.client.release(destroy);
  }

  /** pg's command tag says what ran: BEGIN (also for START TRANSACTION), COMMIT, ROLLBACK, INSERT, ... */
  #observe(command: string): void {
    if (command === "BEGIN") {
      this.#inTransaction = true;
      this.#changed = false;
    } else if (command === "COMMIT" || command === "ROLLBACK") {
      if (command === "COMMIT" && this.#inTransaction && this.#changed) countSqlWriteTransactions();
      this.#inTransaction = false;
      this.#changed = false;
    } else if (CHANGING_COMMANDS.has(command)) {
      if (this.#inTransaction) this.#changed = true;
      else countSqlWriteTransactions();
    }
  }
}

/**
 * Also the gate of issue 24: while `availability` says PostgreSQL is down, a connection is refused at
 * once (DatabaseUnavailableError: SERVER_UNAVAILABLE); a failed connect or query that says the
 * database is gone marks it down.
 */
export class CountingPostgresPool implements PostgresPool {
  readonly #clients = new WeakMap<pg.PoolClient, CountingClient>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly availability: DatabaseAvailability,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    this.availability.assertUp();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.availability.noteError(error);
      throw error;
    }
    let counting = this.#clients.get(client);
    if (counting === undefined) {
      counting = new CountingClient(client, this.availability);
      this.#clients.set(client, counting);
    }
    return counting;
  }

  end(): Promise<void> {
    this.availability.close();
    return this.pool.end();
  }
}
