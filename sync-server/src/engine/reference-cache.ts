/**
 * Reads the batched engine answers from memory: registers, stores, phones, PIN hashes, open periods,
 * guess counters (the statements that carry a `cacheKey`, operation.ts). An entry is dropped when
 * the engine itself writes what it cached (`invalidates`), and everything is dropped when the
 * database changed under the engine: another process committed (an `admin` command: SQLite's
 * `PRAGMA data_version` moves, checked once per batch and once per turn before a read outside one),
 * this process committed through Kysely (the driver's write counter moves), or a batch or savepoint
 * rolled back (what was cached inside it may be gone).
 */
import type BetterSqlite3 from "better-sqlite3";
import type { StatementResult } from "./operation.js";

export class ReferenceCache {
  readonly #entries = new Map<string, StatementResult<unknown>>();
  #dataVersion: number | undefined;
  #foreignWrites = -1;
  #dataVersionStatement: BetterSqlite3.Statement | undefined;
  /** Times everything was dropped (tests, metrics). */
  drops = 0;

  constructor(private readonly entriesMax: number) {}

  /**
   * Drops everything if the database changed under the engine since the last check. One statement
   * (`PRAGMA data_version`), counted by the caller. `foreignWrites`: this process's Kysely write commits.
   */
  check(sqlite: BetterSqlite3.Database, foreignWrites: number): void {
    this.#dataVersionStatement ??= sqlite.prepare("pragma data_version");
    const version = this.#dataVersionStatement.pluck().get() as number;
    if (version !== this.#dataVersion) this.dropAll();
    this.#dataVersion = version;
    this.checkForeignWrites(foreignWrites);
  }

  /** No statement: drops everything if this process committed through Kysely since the last look. */
  checkForeignWrites(foreignWrites: number): void {
    if (foreignWrites !== this.#foreignWrites) this.dropAll();
    this.#foreignWrites = foreignWrites;
  }

  get(key: string): StatementResult<unknown> | undefined {
    return this.#entries.get(key);
  }

  set(key: string, result: StatementResult<unknown>): void {
    if (this.#entries.size >= this.entriesMax) this.#entries.clear();
    this.#entries.set(key, result);
  }

  invalidate(key: string): void {
    this.#entries.delete(key);
  }

  dropAll(): void {
    if (this.#entries.size > 0) this.drops += 1;
    this.#entries.clear();
  }
}
