/**
 * The batched engine on PostgreSQL (issue 15): the operations of operation.ts, submitted in one
 * event-loop turn (and while the previous batch commits), run together in ONE transaction on one
 * connection of this instance's own, every statement a named prepared statement. One batch at a time
 * per instance: the next one gathers while this one commits (group commit across requests).
 *
 * Rows are locked only where the batch changes them: a payment or guess counter read for change is
 * read `FOR UPDATE` (the operation's locking twin), in request order; the rows every batch would share
 * are taken last, in a fixed order (postgres-batch-writes.ts: store balances by account id, then this
 * instance's own audit chain, which no other instance appends to), and held only until COMMIT.
 *
 * Failures as on SQLite (batch-engine.ts): the batch first runs without savepoints; if a request
 * throws (PostgreSQL then refuses the rest of the transaction), it rolls back and runs again with each
 * request under its own SAVEPOINT, so the failing one rolls back alone. A request that needs a PIN's
 * scrypt leaves the batch, and runs again in a later one with the answer.
 *
 * Reference reads (registers, stores, phones, PIN hashes, open periods: statements with a `cacheKey`)
 * are answered from memory (reference-cache.ts) and dropped whenever `reference_version` moved, which
 * a trigger does in any transaction that changes such a row, on any instance or in an admin command;
 * each batch reads the version with its BEGIN, so a change committed before the batch began is seen.
 * A read with a locking twin (a guess counter read for change) goes to the database, locked, unless
 * what is cached for it is "no row": a locking read that finds nothing locks nothing, so that answer
 * is kept like any other reference read (nearly every phone has no guess counters).
 */
import { verifyPassword } from "../auth/password-hash.js";
import type { Compiled } from "../db/precompiled-query.js";
import type { Logger } from "../logger.js";
import { countSqlWriteTransactions } from "../observability/sql-statements.js";
import type { Effect, Operation, OperationRunner, StatementEffect, StatementResult } from "./operation.js";
import { PostgresBatchWrites } from "./postgres-batch-writes.js";
import { PostgresConnection } from "./postgres-connection.js";
import type { DatabaseAvailability } from "../db/database-availability.js";
import { DatabaseUnavailableError, isTransientConflict } from "../db/database-faults.js";
import { limits } from "../limits.js";
import { ReferenceCache } from "./reference-cache.js";
import { PostgresSession } from "./postgres-session.js";
import { NeedsPin, pinKey, type Job, type Outcome } from "./batch-job.js";

export interface PostgresBatchEngineOptions {
  readonly url: string;
  readonly session: PostgresSession;
  /**
   * The process's view of whether PostgreSQL answers (db/database-availability.ts), shared with the
   * Kysely pool: while it is down a batch is refused at once (SERVER_UNAVAILABLE) without a connect
   * attempt, and a batch whose connection fails marks it down.
   */
  readonly availability?: DatabaseAvailability | undefined;
  /** Requests run in one transaction at most (limits.engineBatchRequestsMax). */
  readonly batchRequestsMax: number;
  /** Reference reads kept in memory at most (limits.engineCachedReadsMax). */
  readonly cachedReadsMax: number;
  readonly logger: Logger;
}

export interface PostgresEngineTotals {
  batches: number;
  requests: number;
  retriedBatches: number;
  /** Requests run again after losing a deadlock (40P01) or serialization conflict (40001). */
  conflictRetries: number;
}


export class PostgresBatchEngine implements OperationRunner {
  readonly totals: PostgresEngineTotals = { batches: 0, requests: 0, retriedBatches: 0, conflictRetries: 0 };
  readonly #queue: Job[] = [];
  #scheduled = false;
  #flight: Promise<void> | undefined;
  #connection: PostgresConnection | undefined;
  readonly #writes = new PostgresBatchWrites();
  #optimisticPass = false;
  #requestWrote = false;
  #batchWrote = false;
  readonly cache: ReferenceCache;
  /** reference_version as of the last batch's BEGIN; undefined: nothing cached is trusted. */
  #referenceVersion: number | undefined;

  constructor(private readonly options: PostgresBatchEngineOptions) {
    this.cache = new ReferenceCache(options.cachedReadsMax);
  }

  run<T>(attempt: () => Operation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ attempt, resolve: resolve as (value: unknown) => void, reject, pins: new Map() });
      this.#schedule();
    });
  }

  /** Reads join the next batch: nothing is cached across instances. */
  read<T>(attempt: () => Operation<T>): Promise<T> {
    return this.run(attempt);
  }

  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flight !== undefined || this.#scheduled) {
      await (this.#flight ?? new Promise<void>((resolve) => setImmediate(resolve)));
    }
  }

  async close(): Promise<void> {
    await this.drain();
    await this.#connection?.close();
    this.#connection = undefined;
  }

  #schedule(): void {
    if (this.#scheduled || this.#flight !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const jobs = this.#queue.splice(0, this.options.batchRequestsMax);
      if (jobs.length === 0) return;
      this.#flight = this.#flush(jobs).finally(() => {
        this.#flight = undefined;
        if (this.#queue.length > 0) this.#schedule();
      });
    });
  }

  async #flush(jobs: readonly Job[]): Promise<void> {
    let outcomes: readonly Outcome[];
    try {
      this.options.availability?.assertUp();
      outcomes = await this.#execute(jobs);
    } catch (error) {
      // BEGIN or COMMIT failed, or the connection did: nothing in the batch is acknowledged.
      this.options.availability?.noteError(error);
      if (!(error instanceof DatabaseUnavailableError) && !isTransientConflict(error)) this.options.logger.error({ err: error, requests: jobs.length }, "a batch failed; nothing in it was acknowledged");
      await this.#connection?.close();
      this.#connection = undefined;
      this.#writes.rolledBack(true);
      this.#dropCache();
      for (const job of jobs) this.#failOrRunAgain(job, error);
      return;
    }
    jobs.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.kind === "done") job.resolve(outcome.value);
      else if (outcome.kind === "failed") this.#failOrRunAgain(job, outcome.error);
      else this.#verifyPinThenRequeue(job, outcome.pin, outcome.pinHash);
    });
  }

  /** A deadlock's victim (nothing of it stayed) goes into the next batch, a few times at most; anything else fails. */
  #failOrRunAgain(job: Job, error: unknown): void {
    const retries = job.conflictRetries ?? 0;
    if (!isTransientConflict(error) || retries >= limits.postgresConflictRetriesMax) {
      job.reject(error);
      return;
    }
    job.conflictRetries = retries + 1;
    this.totals.conflictRetries += 1;
    this.options.logger.warn({ code: (error as { code?: string }).code, retry: job.conflictRetries }, "a request lost a deadlock or serialization conflict; it runs again in the next batch");
    this.#queue.push(job);
    this.#schedule();
  }

  #verifyPinThenRequeue(job: Job, pin: string, pinHash: string): void {
    verifyPassword(pin, pinHash).then(
      (matches) => {
        job.pins.set(pinKey(pinHash, pin), matches);
        this.#queue.push(job);
        this.#schedule();
      },
      (error: unknown) => job.reject(error),
    );
  }

  async #execute(jobs: readonly Job[]): Promise<Outcome[]> {
    if (this.#connection === undefined || this.#connection.broken) {
      await this.#connection?.close();
      this.#connection = await PostgresConnection.open(this.options.url, (error) => this.options.availability?.noteError(error));
    }
    let outcomes = await this.#transaction(this.#connection, jobs, false);
    if (outcomes === undefined) {
      this.totals.retriedBatches += 1;
      outcomes = (await this.#transaction(this.#connection, jobs, true))!;
    }
    this.totals.batches += 1;
    this.totals.requests += jobs.length;
    return outcomes;
  }

  /** Undefined: a request threw without savepoints, and the transaction was rolled back. */
  async #transaction(connection: PostgresConnection, jobs: readonly Job[], savepoints: boolean): Promise<Outcome[] | undefined> {
    const version = await connection.beginReadingReferenceVersion();
    if (version !== this.#referenceVersion) this.#dropCache();
    this.#referenceVersion = version;
    this.#optimisticPass = !savepoints;
    this.#batchWrote = false;
    this.#writes.discard();
    const outcomes: Outcome[] = [];
    try {
      for (const job of jobs) {
        if (savepoints) await connection.control("savepoint request");
        let outcome = await this.#runJob(connection, job);
        if (savepoints && outcome.kind === "done") outcome = await this.#flushWrites(connection, outcome);
        const undo = outcome.kind === "failed" || (outcome.kind === "needs-pin" && outcome.wrote);
        if (undo && !savepoints) return await this.#rollBack(connection);
        if (savepoints) {
          if (undo) {
            this.#writes.discard();
            await connection.control("rollback to savepoint request");
            this.#dropCache();
          }
          await connection.control("release savepoint request");
        }
        outcomes.push(outcome);
      }
      if (!savepoints && (await this.#flushWrites(connection, { kind: "done", value: undefined })).kind === "failed") return await this.#rollBack(connection);
      await connection.control("commit");
      this.#writes.committed();
      if (this.#batchWrote) countSqlWriteTransactions();
      return outcomes;
    } catch (error) {
      await connection.control("rollback").catch(() => undefined);
      this.#writes.discard();
      this.#writes.rolledBack(true);
      this.#dropCache();
      throw error;
    }
  }

  async #rollBack(connection: PostgresConnection): Promise<undefined> {
    this.#writes.discard();
    await connection.control("rollback");
    this.#writes.rolledBack();
    this.#dropCache();
    return undefined;
  }

  async #flushWrites(connection: PostgresConnection, outcome: Outcome): Promise<Outcome> {
    if (this.#writes.empty) return outcome;
    try {
      await this.#writes.flush(connection, () => this.options.session.lane());
      return outcome;
    } catch (error) {
      return { kind: "failed", error };
    }
  }

  async #runJob(connection: PostgresConnection, job: Job): Promise<Outcome> {
    this.#requestWrote = false;
    const operation = job.attempt();
    try {
      let step = operation.next();
      while (step.done !== true) step = operation.next(await this.#answer(connection, job, step.value));
      return { kind: "done", value: step.value };
    } catch (error) {
      if (error instanceof NeedsPin) return { kind: "needs-pin", pin: error.pin, pinHash: error.pinHash, wrote: this.#requestWrote };
      return { kind: "failed", error };
    }
  }

  async #answer(connection: PostgresConnection, job: Job, effect: Effect): Promise<unknown> {
    switch (effect.kind) {
      case "statement":
        return this.#statement(connection, effect);
      case "statements":
        return this.#statements(connection, effect.statements);
      case "later":
        this.#noteWrite();
        this.#writes.later(effect);
        return undefined;
      case "optimistic":
        return this.#optimisticPass;
      case "append":
        this.#noteWrite();
        this.#writes.append(effect);
        return undefined;
      case "audit":
        this.#noteWrite();
        this.#writes.audit(effect.transfer, effect.now);
        return undefined;
      case "verify-pin":
        break;
    }
    const known = job.pins.get(pinKey(effect.pinHash, effect.pin));
    if (known === undefined) throw new NeedsPin(effect.pin, effect.pinHash);
    return known;
  }

  async #statement(connection: PostgresConnection, effect: StatementEffect): Promise<StatementResult<unknown>> {
    if (effect.credits !== undefined) {
      this.#noteWrite();
      this.#writes.credit(effect.credits);
      return { rows: [], changes: 1 };
    }
    if (effect.debits !== undefined) await this.#writes.settleCreditOf(connection, effect.debits);
    const cached = this.#fromCache(effect);
    if (cached !== undefined) return cached;
    const compiled = this.#compiledFor(effect);
    return this.#remember(effect, compiled, await connection.run(compiled, effect.params as Record<string, unknown>));
  }

  /** Statements that do not read each other's results (StatementsEffect): those not cached go as one pipeline. */
  async #statements(connection: PostgresConnection, effects: readonly StatementEffect[]): Promise<StatementResult<unknown>[]> {
    const results: StatementResult<unknown>[] = [];
    const sent: { readonly index: number; readonly effect: StatementEffect; readonly compiled: Compiled<unknown> }[] = [];
    effects.forEach((effect, index) => {
      if (effect.credits !== undefined || effect.debits !== undefined) throw new Error("a balance change cannot go in a pipeline of statements");
      const cached = this.#fromCache(effect);
      if (cached !== undefined) results[index] = cached;
      else sent.push({ index, effect, compiled: this.#compiledFor(effect) });
    });
    const answers = await connection.pipeline(sent.map(({ effect, compiled }) => ({ text: compiled.query.sql, values: compiled.names.map((name) => (effect.params as Record<string, unknown>)[name as string]) })));
    sent.forEach(({ index, effect, compiled }, at) => {
      results[index] = this.#remember(effect, compiled, answers[at]!);
    });
    return results;
  }

  /** A cached answer; for a locking read only "no row" (there is nothing it would have locked). */
  #fromCache(effect: StatementEffect): StatementResult<unknown> | undefined {
    if (effect.cacheKey === undefined) return undefined;
    const cached = this.cache.get(effect.cacheKey);
    if (cached !== undefined && effect.locking !== undefined && cached.rows.length > 0) return undefined;
    return cached;
  }

  /** The statement to send (the locking twin inside a transaction); a write drops what it changes from the cache. */
  #compiledFor(effect: StatementEffect): Compiled<unknown> {
    if (effect.invalidates !== undefined) this.cache.invalidate(effect.invalidates);
    return (effect.locking ?? effect.query).postgres() as Compiled<unknown>;
  }

  #remember(effect: StatementEffect, compiled: Compiled<unknown>, result: StatementResult<unknown>): StatementResult<unknown> {
    if (!/^\s*select\b/i.test(compiled.query.sql)) this.#noteWrite();
    if (effect.cacheKey !== undefined && (effect.locking === undefined || result.rows.length === 0)) this.cache.set(effect.cacheKey, result);
    return result;
  }

  /** What was cached may be gone (a rollback) or stale (another writer): forget it, and the version it was read at. */
  #dropCache(): void {
    this.cache.dropAll();
    this.#referenceVersion = undefined;
  }

  #noteWrite(): void {
    this.#requestWrote = true;
    this.#batchWrote = true;
  }
}

/**
 * `serve` on PostgreSQL: the session (audit chain, sweeper election) always; the batch runner unless
 * CODEPAY_ENGINE=interactive (each request its own Kysely transaction, for A/B runs). Undefined on SQLite.
 */
export function createPostgresEngine(
  url: string | undefined,
  logger: Logger,
  limits: { readonly batchRequestsMax: number; readonly cachedReadsMax: number },
  availability?: DatabaseAvailability,
): { readonly session: PostgresSession; readonly engine: PostgresBatchEngine | undefined } | undefined {
  if (url === undefined) return undefined;
  const session = new PostgresSession(url, logger.child({ part: "postgres-session" }), availability);
  const engine = process.env["CODEPAY_ENGINE"] === "interactive" ? undefined : new PostgresBatchEngine({ url, session, ...limits, logger, availability });
  return { session, engine };
}
