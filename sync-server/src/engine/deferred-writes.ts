/**
 * The batch's INSERTs nobody reads back before COMMIT (transfers, outbox rows, idempotency records)
 * and its audit entries, written together just before COMMIT: one multi-row INSERT per kind of row,
 * and the audit chain extended by one INSERT and one head move for the whole batch (each transfer
 * keeps its own entry, hashed in order, so `admin verify` and PostgreSQL's path see the same chain).
 */
import type BetterSqlite3 from "better-sqlite3";
import { chainAfter, insertAuditEntry, moveAuditHead, selectAuditHead, type AuditHead } from "../db/repositories/audit.js";
import type { Compiled } from "../db/precompiled-query.js";
import type { AuditedTransfer } from "../ledger/audit-chain.js";
import type { AppendEffect } from "./operation.js";
import type { ReferenceCache } from "./reference-cache.js";

const HEAD_KEY = "audit:head";

/** Rows per multi-row INSERT at most: a bound on the prepared variants (one per row count) and on bound parameters (SQLite allows 32,766). */
const ROWS_PER_INSERT_MAX = 64;

/** A request's rows conflicted with a stored one (a replay): the batch must run again, keys claimed first. */
export class ReplayDetected extends Error {
  constructor() {
    super("an idempotency record already existed: a replayed request");
  }
}

interface Group {
  readonly compiled: Compiled<unknown>;
  readonly allOrReplay: boolean;
  readonly rows: unknown[][];
}

/** Statements the flush runs, counted and marked as writes by the engine. */
export interface StatementRunner {
  prepare(sql: string): BetterSqlite3.Statement;
  count(statements: number): void;
}

export class DeferredWrites {
  readonly #groups = new Map<Compiled<unknown>, Group>();
  readonly #audits: { transfer: AuditedTransfer; now: number }[] = [];
  readonly #multiRow = new Map<string, BetterSqlite3.Statement>();

  /** The chain's head lives with the cached reads: whatever drops them (another writer, a rollback) drops it too. */
  constructor(private readonly cache: ReferenceCache) {}

  get #head(): AuditHead | undefined {
    return this.cache.get(HEAD_KEY)?.rows[0] as AuditHead | undefined;
  }

  set #head(head: AuditHead | undefined) {
    if (head === undefined) this.cache.invalidate(HEAD_KEY);
    else this.cache.set(HEAD_KEY, { rows: [head], changes: 0 });
  }

  get empty(): boolean {
    return this.#groups.size === 0 && this.#audits.length === 0;
  }

  append(effect: AppendEffect): void {
    const compiled = effect.query.sqlite() as Compiled<unknown>;
    let group = this.#groups.get(compiled);
    if (group === undefined) {
      group = { compiled, allOrReplay: effect.allOrReplay === true, rows: [] };
      this.#groups.set(compiled, group);
    }
    const params = effect.params as Record<string, unknown>;
    group.rows.push(compiled.names.map((name) => params[name as string]));
  }

  audit(transfer: AuditedTransfer, now: number): void {
    this.#audits.push({ transfer, now });
  }

  discard(): void {
    this.#groups.clear();
    this.#audits.length = 0;
  }

  /** Writes everything collected, rows in the order they were appended; then the audit entries. */
  flush(runner: StatementRunner): void {
    try {
      for (const group of this.#groups.values()) this.#insert(runner, group);
      if (this.#audits.length > 0) this.#extendChain(runner);
    } finally {
      this.discard();
    }
  }

  #insert(runner: StatementRunner, group: Group): void {
    for (let start = 0; start < group.rows.length; start += ROWS_PER_INSERT_MAX) {
      const rows = group.rows.slice(start, start + ROWS_PER_INSERT_MAX);
      const statement = this.#statementFor(runner, group.compiled, rows.length);
      const { changes } = statement.run(rows.flat());
      runner.count(1);
      if (changes !== rows.length) {
        if (group.allOrReplay) throw new ReplayDetected();
        throw new Error(`a deferred insert wrote ${changes} of ${rows.length} rows: ${group.compiled.query.sql}`);
      }
    }
  }

  #extendChain(runner: StatementRunner): void {
    if (this.#head === undefined) {
      const head = runner.prepare(selectAuditHead.sqlite().query.sql).get(1) as AuditHead | undefined;
      runner.count(1);
      if (head === undefined) throw new Error("the audit head row is missing");
      this.#head = { seq: Number(head.seq), hash: head.hash };
    }
    const previous = this.#head!;
    const chained = chainAfter(previous, this.#audits);
    this.#audits.length = 0;
    const insert = insertAuditEntry.sqlite() as Compiled<unknown>;
    this.#insert(runner, { compiled: insert, allOrReplay: false, rows: chained.rows.map((row) => insert.names.map((name) => (row as Record<string, unknown>)[name as string])) });
    const move = moveAuditHead.sqlite();
    const params: Record<string, unknown> = { seq: chained.head.seq, hash: chained.head.hash, id: 1, previousSeq: previous.seq };
    const moved = runner.prepare(move.query.sql).run(move.names.map((name) => params[name]));
    runner.count(1);
    if (moved.changes !== 1) {
      this.#head = undefined;
      throw new Error("audit head moved under the engine");
    }
    this.#head = chained.head;
  }

  /** `insert into t (a, b) values (?, ?) [on conflict ...]` with the values group repeated `rows` times. */
  #statementFor(runner: StatementRunner, compiled: Compiled<unknown>, rows: number): BetterSqlite3.Statement {
    const key = `${rows}\u0000${compiled.query.sql}`;
    let statement = this.#multiRow.get(key);
    if (statement === undefined) {
      const match = /^(insert into .+? values )(\((?:\?, )*\?\))(.*)$/s.exec(compiled.query.sql);
      if (match === null) throw new Error(`not a single-row insert: ${compiled.query.sql}`);
      statement = runner.prepare(`${match[1]}${Array.from({ length: rows }, () => match[2]).join(", ")}${match[3]}`);
      this.#multiRow.set(key, statement);
    }
    return statement;
  }
}
