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

  private constructor(client: pg.Client) {
    this.#client = client;
    // A dead connection emits "error"; the next statement fails, the owner opens another.
    client.on("error", (error: Error) => {
      this.#broken = error;
    });
    client.on("end", () => {
      this.#broken ??= new Error("PostgreSQL connection ended");
    });
  }

  static async open(url: string): Promise<PostgresConnection> {
    const client = new pg.Client({ connectionString: url, types: postgresTypes });
    await client.connect();
    return new PostgresConnection(client);
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

  /** Transaction control (BEGIN, COMMIT, SAVEPOINT ...): the simple protocol, no parameters. */
  async control(sql: string): Promise<void> {
    countSqlStatements();
    await this.#client.query(sql);
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
