/**
 * The batched engine: the hot path of `serve` on SQLite (DESIGN-NOTES "Batched execution").
 *
 * Operations (operation.ts) submitted in one event-loop turn run together in ONE write transaction,
 * each statement a synchronous better-sqlite3 prepared statement (no promise per statement). Then one
 * fdatasync of the WAL covers the batch (the group-commit driver's syncer, so the next batch may run
 * while this one's sync is in flight), and only after it do the callers' promises resolve: replies,
 * pushed results and acknowledgements all leave after their commit is on disk.
 *
 * A failing request rolls back alone. The batch first runs without savepoints (SAVEPOINT and RELEASE
 * are two statements per request, more than the rest of an acknowledgement costs); if any request
 * throws, the whole transaction rolls back and the batch runs again with each request under its own
 * SAVEPOINT, so the failing one rolls back alone and the others commit. Refusals are not failures:
 * like today, a refused request commits what it wrote (guess counters, an expiry).
 *
 * A request that needs asynchronous work (a PIN's scrypt) leaves the batch (what it wrote rolls back:
 * its idempotency key, under a savepoint as above), the work runs between batches, and the request
 * runs again in a later batch with the answer.
 */
import { databaseFaultOf } from "../db/database-faults.js";
import type BetterSqlite3 from "better-sqlite3";
import { verifyPassword } from "../auth/password-hash.js";
import { groupCommitDriverOf, type Db } from "../db/database.js";
import type { Compiled } from "../db/precompiled-query.js";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import { countSqlStatements, countSqlWriteTransactions } from "../observability/sql-statements.js";
import type { Effect, Operation, OperationRunner, StatementEffect, StatementResult } from "./operation.js";
import { ReferenceCache } from "./reference-cache.js";
import { DeferredWrites, type StatementRunner } from "./deferred-writes.js";
import { NeedsPin, pinKey, type Job, type Outcome } from "./batch-job.js";

/** What the engine needs from the SQLite driver (group-commit-sqlite-driver.ts). */
export interface EngineConnection {
  exclusive<T>(work: (sqlite: BetterSqlite3.Database) => { readonly result: T; readonly wrote: boolean }): Promise<T>;
  whenIdle<T>(work: (sqlite: BetterSqlite3.Database) => T): { readonly result: T } | undefined;
  durable(): Promise<void>;
  /** The WAL sync in flight, settled when it ends; undefined when none runs. */
  syncInFlight?(): Promise<void> | undefined;
  /** Writes committed through Kysely in this process (they drop the engine's cached reads). */
  readonly kyselyWrites: number;
}

export interface BatchEngineOptions {
  /** Requests run in one transaction at most (limits.engineBatchRequestsMax). */
  readonly batchRequestsMax: number;
  /** Reads kept in memory at most (limits.engineCachedReadsMax). */
  readonly cachedReadsMax: number;
  readonly logger: Logger;
  /** Told after each committed batch (metrics, tests). */
  readonly onBatch?: (stats: BatchStats) => void;
}

export interface BatchStats {
  readonly requests: number;
  readonly statements: number;
  /** The batch ran again request by request, under savepoints, after one of them failed. */
  readonly retriedWithSavepoints: boolean;
}

export interface EngineTotals {
  batches: number;
  requests: number;
  statements: number;
  writeTransactions: number;
  retriedBatches: number;
}


export class BatchEngine implements OperationRunner {
  readonly totals: EngineTotals = { batches: 0, requests: 0, statements: 0, writeTransactions: 0, retriedBatches: 0 };
  readonly #queue: Job[] = [];
  #scheduled = false;
  readonly #statements = new Map<Compiled<unknown>, BetterSqlite3.Statement>();
  #sqlite: BetterSqlite3.Database | undefined;
  /** Statements run and whether any wrote, in the batch being executed. */
  #batchStatements = 0;
  #requestWrote = false;
  #batchWrote = false;
  readonly #inFlight = new Set<Promise<void>>();
  readonly cache: ReferenceCache;
  readonly #writes: DeferredWrites;
  /** The first pass of a batch: no savepoints, idempotency records written after the work. */
  #optimisticPass = false;
  readonly #runner: StatementRunner = {
    prepare: (sql) => this.#prepared(sql),
    count: (statements) => {
      this.#batchStatements += statements;
    },
  };
  /** The cache was checked against the database in this event-loop turn. */
  #checkedThisTurn = false;

  constructor(
    private readonly connection: EngineConnection,
    private readonly options: BatchEngineOptions,
  ) {
    this.cache = new ReferenceCache(options.cachedReadsMax);
    this.#writes = new DeferredWrites(this.cache);
  }

  /**
   * A read of rows the engine never writes (a register, a phone by its credential), answered at once
   * from memory or the connection when no Kysely transaction holds it, else in the next batch. The
   * cache is checked against the database once per event-loop turn first, so a change an operator
   * committed before this turn is seen. No wait for a WAL sync: the engine wrote none of it.
   */
  read<T>(attempt: () => Operation<T>): Promise<T> {
    try {
      const done = this.connection.whenIdle((sqlite) => {
        this.#sqlite = sqlite;
        this.#batchStatements = 0;
        this.#requestWrote = false;
        if (!this.#checkedThisTurn) this.#checkCache(sqlite);
        else this.cache.checkForeignWrites(this.connection.kyselyWrites);
        const operation = attempt();
        let step = operation.next();
        while (step.done !== true) {
          if (step.value.kind !== "statement") throw new Error(`a reference read cannot ${step.value.kind}`);
          step = operation.next(this.#runStatement(step.value));
        }
        countSqlStatements(this.#batchStatements);
        if (this.#requestWrote) throw new Error("a reference read wrote");
        return step.value;
      });
      return done === undefined ? this.run(attempt) : Promise.resolve(done.result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #checkCache(sqlite: BetterSqlite3.Database): void {
    this.cache.check(sqlite, this.connection.kyselyWrites);
    this.#batchStatements += 1;
    if (!this.#checkedThisTurn) {
      this.#checkedThisTurn = true;
      setImmediate(() => (this.#checkedThisTurn = false));
    }
  }

  run<T>(attempt: () => Operation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ attempt, resolve: resolve as (value: unknown) => void, reject, pins: new Map() });
      this.#schedule();
    });
  }

  /** Resolves once every submitted request has been answered (shutdown). */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight.size > 0 || this.#scheduled) {
      await Promise.all([...this.#inFlight]);
      if (this.#inFlight.size === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Everything that arrives in this event-loop turn joins the batch: it runs in the check phase, after the
   * turn's I/O. While a WAL fdatasync is in flight the batch waits for it to end: a commit made now could
   * only be covered by the sync after it, so running later tells nobody anything later, and everything
   * that arrives meanwhile shares one BEGIN/COMMIT (fewer write transactions per payment at low rates).
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#runWhenSynced());
  }

  /** Waits for one sync at most: syncs that follow each other back to back (Kysely writes) do not starve the batch. */
  #runWhenSynced(waited = false): void {
    const syncing = waited ? undefined : this.connection.syncInFlight?.();
    if (syncing !== undefined) {
      void syncing.then(() => setImmediate(() => this.#runWhenSynced(true)));
      return;
    }
    {
      this.#scheduled = false;
      const jobs = this.#queue.splice(0, this.options.batchRequestsMax);
      if (this.#queue.length > 0) this.#schedule();
      if (jobs.length === 0) return;
      const flight = this.#flush(jobs);
      this.#inFlight.add(flight);
      void flight.finally(() => this.#inFlight.delete(flight));
    }
  }

  async #flush(jobs: readonly Job[]): Promise<void> {
    let outcomes: readonly Outcome[];
    try {
      outcomes = await this.connection.exclusive((sqlite) => this.#execute(sqlite, jobs));
      await this.connection.durable();
    } catch (error) {
      // BEGIN or COMMIT failed (busy past busy_timeout, disk full), or the WAL sync did: nothing is acknowledged.
      // A full disk is the world's, not a bug: each request is answered STORAGE_FULL (db/database-faults.ts).
      if (databaseFaultOf(error) !== undefined) this.options.logger.warn({ reason: error instanceof Error ? error.message : String(error), requests: jobs.length }, "a batch was refused by the disk; nothing in it was acknowledged");
      else this.options.logger.error({ err: error, requests: jobs.length }, "a batch failed; nothing in it was acknowledged");
      for (const job of jobs) job.reject(error);
      return;
    }
    jobs.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.kind === "done") job.resolve(outcome.value);
      else if (outcome.kind === "failed") job.reject(outcome.error);
      else this.#verifyPinThenRequeue(job, outcome.pin, outcome.pinHash);
    });
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

  /** One batch, synchronously: one write transaction; a second, with savepoints, only if a request threw. */
  #execute(sqlite: BetterSqlite3.Database, jobs: readonly Job[]): { result: Outcome[]; wrote: boolean } {
    this.#sqlite = sqlite;
    this.#batchStatements = 0;
    this.#batchWrote = false;
    let outcomes = this.#transaction(jobs, false);
    let retried = false;
    if (outcomes === undefined) {
      retried = true;
      this.#batchWrote = false;
      outcomes = this.#transaction(jobs, true)!;
    }
    countSqlStatements(this.#batchStatements);
    const wrote = this.#batchWrote;
    this.totals.batches += 1;
    this.totals.requests += jobs.length;
    this.totals.statements += this.#batchStatements;
    if (wrote) {
      this.totals.writeTransactions += 1;
      countSqlWriteTransactions();
    }
    if (retried) this.totals.retriedBatches += 1;
    this.options.onBatch?.({ requests: jobs.length, statements: this.#batchStatements, retriedWithSavepoints: retried });
    return { result: outcomes, wrote };
  }

  /** Undefined: a request threw without savepoints, and the transaction was rolled back. */
  #transaction(jobs: readonly Job[], savepoints: boolean): Outcome[] | undefined {
    this.#control("begin immediate");
    this.#checkCache(this.#sqlite!);
    this.#optimisticPass = !savepoints;
    this.#writes.discard();
    const outcomes: Outcome[] = [];
    try {
      for (const job of jobs) {
        if (savepoints) this.#control("savepoint request");
        let outcome = this.#runJob(job);
        if (savepoints && outcome.kind === "done") outcome = this.#flushWrites(outcome);
        const undo = outcome.kind === "failed" || (outcome.kind === "needs-pin" && outcome.wrote);
        if (undo && !savepoints) return this.#rollBack();
        if (savepoints) {
          if (undo) {
            this.#writes.discard();
            this.#control("rollback to request");
            this.cache.dropAll();
          }
          this.#control("release request");
        }
        outcomes.push(outcome);
      }
      // The first pass writes the batch's deferred rows once, here; a replay found among them reruns the batch.
      if (!savepoints && this.#flushWrites({ kind: "done", value: undefined }).kind === "failed") return this.#rollBack();
      this.#control("commit");
      return outcomes;
    } catch (error) {
      // Transaction control itself failed: roll back whatever is open and fail the batch.
      if (this.#sqlite!.inTransaction) this.#control("rollback");
      this.cache.dropAll();
      throw error;
    }
  }

  #rollBack(): undefined {
    this.#writes.discard();
    this.#control("rollback");
    this.cache.dropAll();
    return undefined;
  }

  #flushWrites(outcome: Outcome): Outcome {
    if (this.#writes.empty) return outcome;
    try {
      this.#writes.flush(this.#runner);
      return outcome;
    } catch (error) {
      return { kind: "failed", error };
    }
  }

  #runJob(job: Job): Outcome {
    this.#requestWrote = false;
    const operation = job.attempt();
    try {
      let step = operation.next();
      while (step.done !== true) step = operation.next(this.#answer(job, step.value));
      return { kind: "done", value: step.value };
    } catch (error) {
      if (error instanceof NeedsPin) return { kind: "needs-pin", pin: error.pin, pinHash: error.pinHash, wrote: this.#requestWrote };
      return { kind: "failed", error };
    }
  }

  #answer(job: Job, effect: Effect): unknown {
    switch (effect.kind) {
      case "statement":
        return this.#runStatement(effect);
      case "statements":
        return effect.statements.map((each) => this.#runStatement(each));
      case "later":
        this.#runStatement({ kind: "statement", query: effect.query, params: effect.params });
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

  #runStatement(effect: StatementEffect): StatementResult<unknown> {
    if (effect.cacheKey !== undefined) {
      const cached = this.cache.get(effect.cacheKey);
      if (cached !== undefined) return cached;
      const result = this.#execute1(effect);
      this.cache.set(effect.cacheKey, result);
      return result;
    }
    if (effect.invalidates !== undefined) this.cache.invalidate(effect.invalidates);
    return this.#execute1(effect);
  }

  #execute1(effect: StatementEffect): StatementResult<unknown> {
    const compiled = effect.query.sqlite() as Compiled<unknown>;
    let prepared = this.#statements.get(compiled);
    if (prepared === undefined) {
      prepared = this.#sqlite!.prepare(compiled.query.sql);
      this.#statements.set(compiled, prepared);
    }
    const params = effect.params as Record<string, unknown>;
    const values = compiled.names.map((name) => params[name as string]);
    this.#batchStatements += 1;
    if (!prepared.readonly) this.#noteWrite();
    if (prepared.reader) {
      const rows = prepared.all(values);
      return { rows, changes: prepared.readonly ? 0 : rows.length };
    }
    return { rows: [], changes: prepared.run(values).changes };
  }

  #noteWrite(): void {
    this.#requestWrote = true;
    this.#batchWrote = true;
  }

  #control(sql: string): void {
    this.#prepared(sql).run();
    this.#batchStatements += 1;
  }

  #prepared(sql: string): BetterSqlite3.Statement {
    let prepared = this.#bySql.get(sql);
    if (prepared === undefined) {
      prepared = this.#sqlite!.prepare(sql);
      this.#bySql.set(sql, prepared);
    }
    return prepared;
  }

  /** Transaction control and the deferred writes' statements, prepared once. */
  readonly #bySql = new Map<string, BetterSqlite3.Statement>();
}

/**
 * The engine for `serve` on SQLite; undefined on PostgreSQL (issue 15 gives it its own batched path)
 * and with CODEPAY_ENGINE=interactive (each request its own Kysely transaction, for A/B runs).
 */
export function createBatchEngine(db: Db, logger: Logger, onBatch?: (stats: BatchStats) => void): BatchEngine | undefined {
  if (process.env["CODEPAY_ENGINE"] === "interactive") return undefined;
  const driver = groupCommitDriverOf(db);
  if (driver === undefined) return undefined;
  return new BatchEngine(driver, { batchRequestsMax: limits.engineBatchRequestsMax, cachedReadsMax: limits.engineCachedReadsMax, logger, ...(onBatch !== undefined ? { onBatch } : {}) });
}
