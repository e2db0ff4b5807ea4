/**
 * A Kysely driver for one better-sqlite3 connection with group commit: many transactions made
 * durable by one fsync, and nobody told "done" before it (DESIGN-NOTES "Ledger": a payment server
 * must not lose an acknowledged commit, and gets throughput from group commit).
 *
 * How: once grouping starts (after migrations), SQLite runs with synchronous=NORMAL in WAL mode, so
 * COMMIT writes its WAL frames to the OS without waiting for the disk (SQLite still syncs the WAL
 * before every checkpoint, so the database file never runs ahead of the WAL). Durability is ours:
 * releasing the connection (the end of a transaction, or of a query outside one) waits for an
 * fdatasync of the WAL file that started after that transaction's COMMIT. At most one fdatasync is
 * in flight; everyone who finishes meanwhile waits for the next one, which covers them all. The
 * fdatasync runs on libuv's thread pool, so the event loop keeps serving requests while the disk
 * works (a synchronous=FULL COMMIT blocks the one JavaScript thread for the whole fsync). Whoever
 * only read waits too if the data it read is not yet on disk, so nothing not yet durable is ever
 * told to anyone. An fsync error is final: after it nothing is acknowledged until a restart (after
 * a failed fsync the kernel may have dropped the dirty pages, and a retried fsync would lie).
 *
 * Prepared statements are cached by SQL text: Kysely compiles the same few dozen statements all
 * day, and preparing each anew cost about a tenth of the server's time (issue 7 profile).
 *
 * The query code is the same Kysely code PostgreSQL runs; only this driver is SQLite's.
 */
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import type BetterSqlite3 from "better-sqlite3";
import { countSqlStatements, countSqlWriteTransactions } from "../observability/sql-statements.js";
import { BackgroundCheckpointer, type CheckpointStats } from "./wal-checkpointer.js";
import { databaseFaultOf } from "./database-faults.js";
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from "kysely";

export interface GroupCommitOptions {
  /** Prepared statements kept; past this the cache starts over (the hot path uses a few dozen). */
  readonly statementsCachedMax: number;
}

/** Counters for tests, benchmarks and metrics. */
export interface GroupCommitStats extends CheckpointStats {
  /** fdatasync calls completed. */
  syncs: number;
  /** Connection uses (transactions, queries outside one) that waited for a sync. */
  waiters: number;
  /** Writes committed through Kysely (not the batched engine): the engine's cached reads are dropped when it moves. */
  kyselyWrites: number;
  /** Statements and commits refused with SQLITE_FULL (or ENOSPC) since start: the disk was full (issue 24). */
  storageFullErrors: number;
  /** Times the background checkpoints started again after they had failed. */
  checkpointRestarts: number;
}

export interface BackgroundCheckpointOptions {
  /** How often the worker checkpoints. */
  readonly intervalMs: number;
  /** SQLite's own auto-checkpoint on the server's connection, as a backstop (frames). */
  readonly backstopFrames: number;
  /** The worker cuts a fully copied WAL larger than this (bytes) back to zero. */
  readonly walBytesMax: number;
  /** After a failure, the worker starts again on the first write that succeeds at least this long after. */
  readonly restartDelayMs: number;
  /** The worker failed; checkpoints are back on the server's thread at SQLite's default. */
  readonly onFailure: (error: Error) => void;
}

interface SyncGroup {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function newGroup(): SyncGroup {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Makes the WAL durable in groups: one fdatasync in flight, the next one shared by all who wait. */
export class WalSyncer {
  readonly stats: GroupCommitStats = { syncs: 0, waiters: 0, kyselyWrites: 0, checkpoints: 0, checkpointFrames: 0, walTruncations: 0, storageFullErrors: 0, checkpointRestarts: 0 };
  #writeSequence = 0;
  #durableSequence = 0;
  #inFlight: SyncGroup | undefined;
  #inFlightCovers = 0;
  #next: SyncGroup | undefined;
  #file: FileHandle | undefined;
  #broken: unknown;
  /** Told how long each completed fdatasync took (metrics: codepay_sqlite_wal_fsync_seconds). */
  observeSync: ((durationMs: number) => void) | undefined;

  constructor(private readonly walPath: string) {}

  /** A write was committed: its WAL frames have reached the OS (a COMMIT, or a write outside a transaction). */
  noteWrite(): void {
    this.#writeSequence += 1;
  }

  /** The fdatasync in flight, settled (resolved or rejected) when it ends; undefined when none runs. */
  inFlight(): Promise<void> | undefined {
    return this.#inFlight?.promise.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Resolves once every write noted so far is on disk. */
  durable(): Promise<void> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const target = this.#writeSequence;
    if (target <= this.#durableSequence) return Promise.resolve();
    this.stats.waiters += 1;
    // The sync in flight started after this write reached the OS: it covers it.
    if (this.#inFlight !== undefined && target <= this.#inFlightCovers) return this.#inFlight.promise;
    this.#next ??= newGroup();
    const waiting = this.#next.promise;
    if (this.#inFlight === undefined) void this.#syncNext();
    return waiting;
  }

  async #syncNext(): Promise<void> {
    const group = this.#next;
    if (group === undefined) return;
    this.#next = undefined;
    this.#inFlight = group;
    // Every write noted before this point has reached the OS (better-sqlite3 is synchronous).
    const covered = this.#writeSequence;
    this.#inFlightCovers = covered;
    try {
      this.#file ??= await open(this.walPath, "r");
      const startedMs = performance.now();
      await this.#file.datasync();
      this.observeSync?.(performance.now() - startedMs);
      this.#durableSequence = Math.max(this.#durableSequence, covered);
      this.stats.syncs += 1;
      group.resolve();
    } catch (error) {
      this.#broken = new Error(`fsync of the SQLite WAL failed; restart the server: ${String(error)}`, { cause: error });
      group.reject(this.#broken);
      const waiting = this.#next as SyncGroup | undefined; // set by durable() during the await
      this.#next = undefined;
      waiting?.reject(this.#broken);
    } finally {
      this.#inFlight = undefined;
    }
    if (this.#next !== undefined) void this.#syncNext();
  }

  /** Waits for everything written so far, then closes the WAL handle. */
  async close(): Promise<void> {
    try {
      await this.durable();
    } finally {
      await this.#file?.close();
      this.#file = undefined;
    }
  }
}

/** FIFO lock on the one connection: whoever holds it runs statements; the rest wait in order. */
class ConnectionLock {
  #held = false;
  readonly #waiters: (() => void)[] = [];
  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((granted) => this.#waiters.push(granted));
  }
  get idle(): boolean {
    return !this.#held;
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#held = false;
    else next();
  }
}

class CachedStatementConnection implements DatabaseConnection {
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  #uncommittedWrite = false;
  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly statementsCachedMax: number,
    private readonly onWrite: () => void,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  #statement(sql: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= this.statementsCachedMax) this.#statements.clear();
      statement = this.sqlite.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    countSqlStatements();
    try {
      const statement = this.#statement(compiledQuery.sql);
      const parameters = compiledQuery.parameters as unknown[];
      const writes = !statement.readonly;
      if (statement.reader) {
        const rows = statement.all(parameters) as R[];
        if (writes) this.#noteWrite();
        return Promise.resolve({ rows });
      }
      const { changes, lastInsertRowid } = statement.run(parameters);
      if (writes) this.#noteWrite();
      return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
    } catch (error) {
      this.onFailure(error);
      return Promise.reject(error);
    }
  }

  /** Row by row; its own statement (not the cached one), since an iterating statement is busy until done. */
  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.sqlite.prepare(compiledQuery.sql);
    if (!statement.reader) throw new Error("only statements that return rows can be streamed");
    countSqlStatements();
    for (const row of statement.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }

  /**
   * A write reaches the WAL at its COMMIT (or at once outside a transaction), so that is when it
   * counts: a sync that starts between a transaction's INSERT and its COMMIT must not be taken as
   * covering it (it would let the transaction return before its COMMIT is on disk).
   */
  #noteWrite(): void {
    if (this.sqlite.inTransaction) {
      this.#uncommittedWrite = true;
    } else {
      countSqlWriteTransactions();
      this.onWrite();
    }
  }

  /** Transaction control (BEGIN, COMMIT, ROLLBACK): not Kysely-compiled, not counted as a write. */
  run(sql: string): void {
    countSqlStatements();
    try {
      this.#statement(sql).run();
    } catch (error) {
      this.onFailure(error);
      throw error;
    }
  }

  commit(): void {
    this.run("commit");
    if (this.#uncommittedWrite) {
      countSqlWriteTransactions();
      this.onWrite();
    }
    this.#uncommittedWrite = false;
  }

  rollback(): void {
    this.#uncommittedWrite = false;
    if (this.sqlite.inTransaction) this.run("rollback");
  }
}

const SQLITE_DEFAULT_AUTOCHECKPOINT_FRAMES = 1000;

export class GroupCommitSqliteDriver implements Driver {
  readonly #sqlite: BetterSqlite3.Database;
  readonly #lock = new ConnectionLock();
  readonly #connection: CachedStatementConnection;
  readonly #syncer: WalSyncer;
  /** Off during migrations (they run their own BEGIN/COMMIT and PRAGMAs) and when disabled for A/B runs. */
  #grouping = false;
  #checkpointer: BackgroundCheckpointer | undefined;
  #checkpointOptions: BackgroundCheckpointOptions | undefined;
  /** When the background checkpoints failed (performance.now()); undefined while they run. */
  #checkpointFailedAtMs: number | undefined;
  #storageFull = false;
  #onStorageFull: ((error: unknown) => void) | undefined;

  constructor(sqlite: BetterSqlite3.Database, options: GroupCommitOptions) {
    this.#sqlite = sqlite;
    this.#syncer = new WalSyncer(`${sqlite.name}-wal`);
    this.#connection = new CachedStatementConnection(
      sqlite,
      options.statementsCachedMax,
      () => {
        this.#syncer.stats.kyselyWrites += 1;
        this.#noteWrite();
      },
      (error) => this.#noteFailure(error),
    );
  }

  /** A write committed: the disk took it, so it is not full (any more), and stopped checkpoints may start again. */
  #noteWrite(): void {
    this.#syncer.noteWrite();
    this.#storageFull = false;
    if (this.#checkpointFailedAtMs !== undefined && performance.now() - this.#checkpointFailedAtMs >= this.#checkpointOptions!.restartDelayMs) {
      this.#checkpointFailedAtMs = undefined;
      this.#syncer.stats.checkpointRestarts += 1;
      this.#startCheckpointer(this.#checkpointOptions!);
    }
  }

  #noteFailure(error: unknown): void {
    if (databaseFaultOf(error) !== "storage-full") return;
    this.#syncer.stats.storageFullErrors += 1;
    this.#storageFull = true;
    this.#onStorageFull?.(error);
  }

  /** The last write failed for want of disk space, and none has succeeded since (issue 24). */
  get storageFull(): boolean {
    return this.#storageFull;
  }

  /** Free space came back (the data directory's filesystem says so): not full, even before the next write. */
  noteSpaceAvailable(): void {
    this.#storageFull = false;
  }

  /** Told when a write fails because the disk is full. */
  observeStorageFull(observer: (error: unknown) => void): void {
    this.#onStorageFull = observer;
  }

  get stats(): GroupCommitStats {
    return this.#syncer.stats;
  }

  /** Told how long each WAL fdatasync took. */
  observeSyncs(observer: (durationMs: number) => void): void {
    this.#syncer.observeSync = observer;
  }

  /** From now on COMMIT does not fsync; every connection use waits for the shared WAL fdatasync. */
  startGrouping(): void {
    if (this.#sqlite.pragma("journal_mode", { simple: true }) !== "wal") throw new Error("group commit needs journal_mode=WAL");
    this.#sqlite.pragma("synchronous = NORMAL");
    // Statement journals (the undo a multi-row INSERT or an UPDATE keeps in case it fails half-way)
    // in memory: SQLite spills one past 64 KiB to a temporary file, and the batch's multi-row INSERTs
    // did, a write per batch the disk never needed (the transaction is rolled back whole anyway).
    this.#sqlite.pragma("temp_store = MEMORY");
    this.#grouping = true;
  }

  /**
   * The server (`serve`) checkpoints on a worker thread from now on (wal-checkpointer.ts); short-lived
   * admin commands keep SQLite's in-COMMIT auto-checkpoint. Needs group commit (WAL, synchronous=NORMAL).
   */
  checkpointInBackground(options: BackgroundCheckpointOptions): void {
    if (!this.#grouping || this.#checkpointOptions !== undefined) return;
    this.#checkpointOptions = options;
    this.#startCheckpointer(options);
  }

  /**
   * A failed worker (a full disk: the checkpoint could not grow the database file) hands checkpoints
   * back to COMMIT; the first write that succeeds `restartDelayMs` later starts a new one (issue 24:
   * they used to stay in COMMIT until a restart).
   */
  #startCheckpointer(options: BackgroundCheckpointOptions): void {
    this.#sqlite.pragma(`wal_autocheckpoint = ${options.backstopFrames}`);
    const failed = this.#checkpointer;
    this.#checkpointer = new BackgroundCheckpointer(this.#sqlite.name, options, this.#syncer.stats, (error) => {
      this.#sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_FRAMES}`);
      this.#checkpointFailedAtMs = performance.now();
      options.onFailure(error);
    });
    void failed?.stop();
  }

  /**
   * The batched engine (engine/batch-engine.ts): runs `work` synchronously on the connection while no
   * Kysely transaction holds it (one FIFO lock for both), and notes a committed write if it says so.
   * The caller waits for durable() before telling anyone anything.
   */
  async exclusive<T>(work: (sqlite: BetterSqlite3.Database) => { readonly result: T; readonly wrote: boolean }): Promise<T> {
    await this.#lock.acquire();
    try {
      const { result, wrote } = work(this.#sqlite);
      if (wrote) this.#noteWrite();
      return result;
    } catch (error) {
      this.#noteFailure(error);
      throw error;
    } finally {
      this.#lock.release();
    }
  }

  /** Runs `work` at once if no Kysely transaction holds the connection (it is synchronous: nothing interleaves); else undefined. */
  whenIdle<T>(work: (sqlite: BetterSqlite3.Database) => T): { readonly result: T } | undefined {
    return this.#lock.idle ? { result: work(this.#sqlite) } : undefined;
  }

  /** Writes committed through Kysely so far. */
  get kyselyWrites(): number {
    return this.#syncer.stats.kyselyWrites;
  }

  /**
   * The WAL fdatasync in flight, settled when it ends; undefined when none runs (or without group commit).
   * A write committed now waits for the sync after it anyway, so the engine holds its next batch until then.
   */
  syncInFlight(): Promise<void> | undefined {
    return this.#grouping ? this.#syncer.inFlight() : undefined;
  }

  /** Resolves once every write committed so far is on disk (at once without group commit: COMMIT synced). */
  durable(): Promise<void> {
    return this.#grouping ? this.#syncer.durable() : Promise.resolve();
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    return this.#connection;
  }

  async beginTransaction(_connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // IMMEDIATE: a transaction that writes takes the write lock up front, which honours busy_timeout,
    // so `serve` and an admin command never refuse each other (a deferred one would get SQLITE_BUSY).
    // A read-only one (`admin verify`: setAccessMode("read only")) stays DEFERRED: in WAL mode it reads
    // one snapshot from its first SELECT on and never holds the write lock, so writers go on meanwhile.
    this.#connection.run(settings.accessMode === "read only" ? "begin deferred" : "begin immediate");
  }

  async commitTransaction(): Promise<void> {
    this.#connection.commit();
  }

  async rollbackTransaction(): Promise<void> {
    this.#connection.rollback();
  }

  async releaseConnection(): Promise<void> {
    this.#lock.release();
    if (this.#grouping) await this.#syncer.durable();
  }

  async destroy(): Promise<void> {
    await this.#lock.acquire();
    try {
      await this.#checkpointer?.stop();
      if (this.#grouping) await this.#syncer.close();
    } finally {
      this.#sqlite.close();
      this.#lock.release();
    }
  }
}

export class GroupCommitSqliteDialect implements Dialect {
  constructor(readonly driver: GroupCommitSqliteDriver) {}
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler(): SqliteQueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): SqliteAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): SqliteIntrospector {
    return new SqliteIntrospector(db);
  }
}
