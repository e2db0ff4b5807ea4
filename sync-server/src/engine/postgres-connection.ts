/**
 * One `pg` connection of the PostgreSQL batch runner: statements sent as named prepared statements
 * (parsed once per connection, then only bound and executed), every statement counted like the
 * Kysely pool counts its own (observability/sql-statements.ts).
 */
import pg from "pg";
import { postgresTypes } from "../db/database.js";
import type { Compiled } from "../db/precompiled-query.js";
import { countSqlStatements } from "../observability/sql-statements.js";
import type { StatementResult } from "./operation.js";

/** Statement names by SQL text: the same name on every connection of this process. */
const names = new Map<string, string>();

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `codepay_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

export class PostgresConnection {
  readonly #client: pg.Client;
  #broken: Error | undefined;

  private constructor(client: pg.Client, onError: ((error: Error) => void) | undefined) {
    this.#client = client;
    // A dead connection emits "error"; the next statement fails, the owner opens another. The
    // database's availability gate hears of it too (db/database-availability.ts). Listening from
    // before connect(): a server that dies just as it says "ready" sends both in one read, and pg emits
    // the "error" before connect()'s promise lets anyone attach a listener (without one, Node would end
    // the process).
    client.on("error", (error: Error) => {
      this.#broken = error;
      onError?.(error);
    });
    client.on("end", () => {
      this.#broken ??= new Error("PostgreSQL connection ended");
    });
  }

  /** `onError`: told of an error the connection emits after it is open (the database went away). */
  static async open(url: string, onError?: (error: Error) => void): Promise<PostgresConnection> {
    // Pipeline mode: a statement is written as soon as it is queued, so statements queued together
    // (pipeline() below) travel before the first reply is read. One at a time, nothing changes.
    const client = new pg.Client({ connectionString: url, types: postgresTypes, pipeline: true });
    const connection = new PostgresConnection(client, onError);
    await client.connect();
    return connection;
  }

  get broken(): boolean {
    return this.#broken !== undefined;
  }

  /** A precompiled query with its parameters by name. */
  run(compiled: Compiled<unknown>, params: Readonly<Record<string, unknown>>): Promise<StatementResult<unknown>> {
    return this.query(compiled.query.sql, compiled.names.map((name) => params[name as string]));
  }

  /** SQL with `$n` parameters, as a named prepared statement. */
  async query(text: string, values: readonly unknown[]): Promise<StatementResult<unknown>> {
    countSqlStatements();
    const result = await this.#client.query({ name: nameOf(text), text, values: values as unknown[] });
    return { rows: result.rows, changes: result.command === "SELECT" ? 0 : (result.rowCount ?? 0) };
  }

  /**
   * Statements that do not read each other's results, sent together (one round trip instead of one
   * each; PostgreSQL runs them in order, in the open transaction). Resolves with their results in
   * order, or rejects with the first failure: once one fails, PostgreSQL refuses the rest of the
   * transaction (25P02), and those refusals say nothing new.
   */
  async pipeline(statements: readonly { readonly text: string; readonly values: readonly unknown[] }[]): Promise<StatementResult<unknown>[]> {
    // Corked, every statement's messages leave in one write (pg corks each statement's own messages;
    // corks nest). `connection.stream` is pg's socket: absent, the statements still go pipelined.
    const socket = (this.#client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
    socket?.cork?.();
    let pending: Promise<StatementResult<unknown>>[];
    try {
      pending = statements.map((statement) => this.query(statement.text, statement.values));
    } finally {
      socket?.uncork?.();
    }
    const settled = await Promise.allSettled(pending);
    const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<StatementResult<unknown>>).value);
  }

  /** Transaction control (BEGIN, COMMIT, SAVEPOINT ...): the simple protocol, no parameters. */
  async control(sql: string): Promise<void> {
    countSqlStatements();
    await this.#client.query(sql);
  }

  /**
   * BEGIN and a read of the reference rows' version (migration 0006) in one round trip (the simple
   * protocol runs both): the version as of the start of the transaction.
   */
  async beginReadingReferenceVersion(): Promise<number> {
    countSqlStatements(2);
    const results = (await this.#client.query("begin; select version from reference_version where id = 1")) as unknown as pg.QueryResult[];
    const row = results[1]?.rows[0] as { version: number } | undefined;
    if (row === undefined) throw new Error("the reference_version row is missing");
    return Number(row.version);
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
