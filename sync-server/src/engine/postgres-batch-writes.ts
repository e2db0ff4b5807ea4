/**
 * What a PostgreSQL batch writes just before COMMIT, in one place and in a fixed order:
 *   1. INSERTs nobody reads back (transfers, outbox rows, idempotency records): one multi-row INSERT
 *      per kind of row;
 *   2. balance credits (a store's takings): summed per account, the rows locked in account-id order
 *      (`SELECT … ORDER BY id FOR UPDATE`), then one UPDATE for all of them. Two instances lock the
 *      accounts they share in the same order, so they cannot deadlock there, and each store row is
 *      updated once per batch instead of once per approval, and held only from here to COMMIT;
 *   3. the audit entries: appended to this instance's own chain (postgres-session.ts), one INSERT and
 *      one head move for the batch; the head is kept in memory between batches and moved with
 *      compare-and-set (`where seq = previous`), so a head someone else moved fails the batch.
 * Writes nobody reads back (a register's acknowledgement, LaterEffect) go after the INSERTs.
 * None of them reads another's result, so they go as one pipeline (postgres-connection.ts): one write
 * and one round trip for all, their row counts checked when every reply is in, before COMMIT.
 */
import type { Compiled } from "../db/precompiled-query.js";
import { chainAfter, insertAuditEntry, moveAuditHead, type AuditHead } from "../db/repositories/audit.js";
import type { AuditedTransfer } from "../ledger/audit-chain.js";
import { ReplayDetected } from "./deferred-writes.js";
import type { AppendEffect, BalanceDelta, LaterEffect, StatementResult } from "./operation.js";
import type { PostgresConnection } from "./postgres-connection.js";

/** Rows per multi-row INSERT at most (a bound on the prepared variants and on bound parameters). */
const ROWS_PER_INSERT_MAX = 64;

/** A statement of the pipeline, and what its result must say (checked once every reply is in). */
interface Planned {
  readonly text: string;
  readonly values: readonly unknown[];
  readonly check: (result: StatementResult<unknown>) => void;
}

/** Sends the statements as one pipeline, then checks each result (the first failed check throws). */
async function sendPlanned(connection: PostgresConnection, planned: readonly Planned[]): Promise<void> {
  const results = await connection.pipeline(planned);
  planned.forEach((statement, index) => statement.check(results[index]!));
}

interface Group {
  readonly compiled: Compiled<unknown>;
  readonly allOrReplay: boolean;
  readonly rows: unknown[][];
}

const SELECT_HEAD_FOR_UPDATE = "select seq, hash from audit_head where id = $1 for update";
const LOCK_ACCOUNTS = "select id from accounts where id = any($1::varchar[]) order by id for update";
const CREDIT_ACCOUNTS =
  "update accounts set balance_minor = accounts.balance_minor + credit.amount from unnest($1::varchar[], $2::bigint[]) as credit (id, amount) where accounts.id = credit.id";

export class PostgresBatchWrites {
  readonly #groups = new Map<Compiled<unknown>, Group>();
  readonly #credits = new Map<string, number>();
  readonly #later: Planned[] = [];
  readonly #audits: { transfer: AuditedTransfer; now: number }[] = [];
  /** The head of `#lane` as committed; `#moved`: as this transaction moved it, until COMMIT. */
  #head: (AuditHead & { readonly lane: number }) | undefined;
  #moved: (AuditHead & { readonly lane: number }) | undefined;
  readonly #multiRow = new Map<string, string>();

  get empty(): boolean {
    return this.#groups.size === 0 && this.#later.length === 0 && this.#credits.size === 0 && this.#audits.length === 0;
  }

  append(effect: AppendEffect): void {
    const compiled = effect.query.postgres() as Compiled<unknown>;
    let group = this.#groups.get(compiled);
    if (group === undefined) {
      group = { compiled, allOrReplay: effect.allOrReplay === true, rows: [] };
      this.#groups.set(compiled, group);
    }
    const params = effect.params as Record<string, unknown>;
    group.rows.push(compiled.names.map((name) => params[name as string]));
  }

  /** A write nobody reads back (LaterEffect): sent after the INSERTs, its row count not checked. */
  later(effect: LaterEffect): void {
    const compiled = effect.query.postgres() as Compiled<unknown>;
    const params = effect.params as Record<string, unknown>;
    this.#later.push({ text: compiled.query.sql, values: compiled.names.map((name) => params[name as string]), check: () => undefined });
  }

  credit(delta: BalanceDelta): void {
    this.#credits.set(delta.accountId, (this.#credits.get(delta.accountId) ?? 0) + delta.amountMinor);
  }

  /** A debit of `accountId` is about to run: its pending credit first (so a guard sees it), on its own. */
  async settleCreditOf(connection: PostgresConnection, accountId: string): Promise<void> {
    const amount = this.#credits.get(accountId);
    if (amount === undefined) return;
    this.#credits.delete(accountId);
    await this.#applyCredits(connection, [[accountId, amount]]);
  }

  audit(transfer: AuditedTransfer, now: number): void {
    this.#audits.push({ transfer, now });
  }

  discard(): void {
    this.#groups.clear();
    this.#later.length = 0;
    this.#credits.clear();
    this.#audits.length = 0;
  }

  /** The transaction committed: the chain's head is where it moved it. */
  committed(): void {
    if (this.#moved !== undefined) this.#head = this.#moved;
    this.#moved = undefined;
  }

  /** The transaction rolled back: the head is where it was (or unknown, if the rollback was about it). */
  rolledBack(headInDoubt = false): void {
    this.#moved = undefined;
    if (headInDoubt) this.#head = undefined;
  }

  /**
   * Everything deferred, as one pipeline (postgres-connection.ts): the statements do not read each
   * other's results, so they go in one round trip; their row counts are checked once all are back,
   * before the caller's COMMIT (a mismatch throws, and the caller rolls the transaction back).
   */
  async flush(connection: PostgresConnection, lane: () => Promise<number>): Promise<void> {
    try {
      const planned: Planned[] = [];
      for (const group of this.#groups.values()) this.#planInsert(planned, group);
      planned.push(...this.#later);
      if (this.#credits.size > 0) this.#planCredits(planned, [...this.#credits].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const moved = this.#audits.length > 0 ? await this.#planChain(connection, planned, await lane()) : undefined;
      await sendPlanned(connection, planned);
      if (moved !== undefined) this.#moved = moved;
    } finally {
      this.discard();
    }
  }

  #planInsert(planned: Planned[], group: Group): void {
    for (let start = 0; start < group.rows.length; start += ROWS_PER_INSERT_MAX) {
      const rows = group.rows.slice(start, start + ROWS_PER_INSERT_MAX);
      planned.push({
        text: this.#multiRowSql(group.compiled, rows.length),
        values: rows.flat(),
        check: ({ changes }) => {
          if (changes === rows.length) return;
          if (group.allOrReplay) throw new ReplayDetected();
          throw new Error(`a deferred insert wrote ${changes} of ${rows.length} rows: ${group.compiled.query.sql}`);
        },
      });
    }
  }

  /** `accounts` sorted by id: locked in that order, then credited by one UPDATE. */
  #planCredits(planned: Planned[], accounts: readonly (readonly [string, number])[]): void {
    const ids = accounts.map(([id]) => id);
    planned.push({ text: LOCK_ACCOUNTS, values: [ids], check: () => undefined });
    planned.push({
      text: CREDIT_ACCOUNTS,
      values: [ids, accounts.map(([, amount]) => amount)],
      check: ({ changes }) => {
        if (changes !== accounts.length) throw new Error(`credited ${changes} of ${accounts.length} accounts: a credit account is missing`);
      },
    });
  }

  /** A credit applied at once, on its own (a debit of the same account follows). */
  async #applyCredits(connection: PostgresConnection, accounts: readonly (readonly [string, number])[]): Promise<void> {
    const planned: Planned[] = [];
    this.#planCredits(planned, accounts);
    await sendPlanned(connection, planned);
  }

  /** The audit entries and the head move; the head as it will stand once they are in. */
  async #planChain(connection: PostgresConnection, planned: Planned[], lane: number): Promise<AuditHead & { readonly lane: number }> {
    let previous = this.#moved ?? this.#head;
    if (previous === undefined || previous.lane !== lane) {
      // FOR UPDATE: the first batch after a start (or a doubt) waits for anyone still appending to this chain.
      const { rows } = await connection.query(SELECT_HEAD_FOR_UPDATE, [lane]);
      const head = rows[0] as AuditHead | undefined;
      if (head === undefined) throw new Error(`the audit head of chain ${lane} is missing`);
      previous = { lane, seq: Number(head.seq), hash: head.hash };
    }
    const chained = chainAfter(previous, this.#audits, lane);
    this.#audits.length = 0;
    const insert = insertAuditEntry.postgres() as Compiled<unknown>;
    this.#planInsert(planned, { compiled: insert, allOrReplay: false, rows: chained.rows.map((row) => insert.names.map((name) => (row as Record<string, unknown>)[name as string])) });
    const move = moveAuditHead.postgres() as Compiled<unknown>;
    const params: Record<string, unknown> = { seq: chained.head.seq, hash: chained.head.hash, id: lane, previousSeq: previous.seq };
    planned.push({
      text: move.query.sql,
      values: move.names.map((name) => params[name as string]),
      check: ({ changes }) => {
        if (changes === 1) return;
        this.#head = undefined;
        throw new Error(`the audit head of chain ${lane} moved under this instance`);
      },
    });
    return { lane, ...chained.head };
  }

  /** `insert into t (a, b) values ($1, $2) [on conflict ...]` with one values group per row, numbered on. */
  #multiRowSql(compiled: Compiled<unknown>, rows: number): string {
    const key = `${rows}\u0000${compiled.query.sql}`;
    let text = this.#multiRow.get(key);
    if (text === undefined) {
      const match = /^(insert into .+? values )\((\$\d+(?:, \$\d+)*)\)(.*)$/s.exec(compiled.query.sql);
      const width = compiled.names.length;
      if (match === null || match[2]!.split(", ").length !== width) throw new Error(`not a single-row insert: ${compiled.query.sql}`);
      const groups = Array.from({ length: rows }, (_, row) => `(${Array.from({ length: width }, (_, column) => `$${row * width + column + 1}`).join(", ")})`);
      text = `${match[1]}${groups.join(", ")}${match[3]}`;
      this.#multiRow.set(key, text);
    }
    return text;
  }
}
