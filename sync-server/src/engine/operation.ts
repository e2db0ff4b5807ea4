/**
 * Settlement operations as effects-as-data (STYLE.md §3): an operation is a generator that yields
 * what it needs done (a statement to run, a PIN to check) and gets the answer back. The rules are
 * written once; two thin drivers run them: the batched engine (batch-engine.ts) answers statements
 * synchronously on better-sqlite3 inside its batch transaction, and runOn (run-on-kysely.ts) awaits
 * each one through Kysely, inside a caller's transaction (PostgreSQL, admin, tests, A/B runs).
 */
import type { PrecompiledQuery } from "../db/precompiled-query.js";
import type { AuditedTransfer } from "../ledger/audit-chain.js";

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface StatementEffect {
  readonly kind: "statement";
  readonly query: PrecompiledQuery<any, unknown>;
  readonly params: object;
  /** PostgreSQL inside a transaction runs this twin instead (`FOR UPDATE`); SQLite has one writer anyway. */
  readonly locking?: PrecompiledQuery<any, unknown>;
  /**
   * A read the engine may answer from memory (engine/reference-cache.ts), under this key: rows that
   * change only by writes the engine sees (its own, flagged `invalidates`), by this process's other
   * transactions, or by another process (PRAGMA data_version). Kysely ignores it.
   */
  readonly cacheKey?: string;
  /** A write that changes what the read cached under this key returned. */
  readonly invalidates?: string;
  /**
   * A balance credit nobody reads back before COMMIT: a runner may sum a batch's credits per account and
   * apply them once, before COMMIT (engine/postgres-batch-engine.ts: one UPDATE per store per batch, not
   * one per approval), answering `changes: 1` now and failing the batch if an account is missing.
   * The others run the statement as it is.
   */
  readonly credits?: BalanceDelta;
  /** A guarded debit of this account: a runner holding a deferred credit for it applies that first. */
  readonly debits?: string;
}

export interface BalanceDelta {
  readonly accountId: string;
  readonly amountMinor: number;
}

export interface StatementOptions<Params, Row> {
  readonly locking?: PrecompiledQuery<Params, Row>;
  readonly cacheKey?: string;
  readonly invalidates?: string;
  readonly credits?: BalanceDelta;
  readonly debits?: string;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** scrypt is asynchronous: the engine verifies it between batches and runs the request again with the answer. */
export interface VerifyPinEffect {
  readonly kind: "verify-pin";
  readonly pin: string;
  readonly pinHash: string;
}

/**
 * An INSERT whose result nobody reads before the commit (a transfer, an outbox row, an idempotency
 * record): Kysely runs it at once; the engine may collect a batch's rows and write them with one
 * multi-row INSERT before COMMIT. `allOrReplay`: a row that conflicts (ON CONFLICT DO NOTHING) means a
 * request was a replay: the engine runs the batch again, each request under a savepoint, not optimistic.
 */
export interface AppendEffect {
  readonly kind: "append";
  readonly query: PrecompiledQuery<any, unknown>;
  readonly params: object;
  readonly allOrReplay?: boolean;
}

/** The audit chain's entry for a transfer (ledger/audit-chain.ts): the engine appends a batch's entries with one INSERT and one head move. */
export interface AuditEffect {
  readonly kind: "audit";
  readonly transfer: AuditedTransfer;
  readonly now: number;
  /** The entry appended on its own (read the head, insert, move it): what Kysely runs. */
  readonly alone: () => Operation<unknown>;
}

/**
 * Statements that do not read each other's results, answered together with their results in order:
 * the PostgreSQL runner sends them as one pipeline (one write, one round trip); the others run them
 * one after the other. Made by `together`. None of them may be a deferred credit or a guarded debit.
 */
export interface StatementsEffect {
  readonly kind: "statements";
  readonly statements: readonly StatementEffect[];
}

/**
 * A write nobody reads back (the register's acknowledgement of a result): a runner may send it with
 * the batch's deferred writes just before COMMIT (PostgreSQL: in their pipeline, no round trip of its
 * own); the others run it at once. Answered with nothing.
 */
export interface LaterEffect {
  readonly kind: "later";
  readonly query: PrecompiledQuery<any, unknown>;
  readonly params: object;
}

/** May the operation work first and record its idempotency key after (true only in the engine's first, savepoint-free pass)? */
export interface OptimisticEffect {
  readonly kind: "optimistic";
}

export type Effect = StatementEffect | StatementsEffect | VerifyPinEffect | AppendEffect | LaterEffect | AuditEffect | OptimisticEffect;

/** What a statement gives back on either driver: its rows, and how many rows it changed. */
export interface StatementResult<Row> {
  readonly rows: readonly Row[];
  readonly changes: number;
}

export type Operation<T> = Generator<Effect, T, unknown>;

/**
 * Runs operations in batches (engine/batch-engine.ts). `attempt` may be called more than once (a
 * batch that failed is run again request by request); the promise resolves with the result of the
 * attempt that committed, once its commit is on disk.
 */
export interface OperationRunner {
  run<T>(attempt: () => Operation<T>): Promise<T>;
  /** A read of rows the runner never writes (registers, phones): from memory when it can. */
  read<T>(attempt: () => Operation<T>): Promise<T>;
}

/** Runs one statement: `const { rows } = yield* statement(query, params)`. */
export function* statement<Params extends object, Row>(query: PrecompiledQuery<Params, Row>, params: Params, options?: StatementOptions<Params, Row>): Operation<StatementResult<Row>> {
  const effect: StatementEffect = options === undefined ? { kind: "statement", query, params } : { kind: "statement", query, params, ...options };
  return (yield effect) as StatementResult<Row>;
}

/** An INSERT nobody reads back before the commit (AppendEffect). */
export function* append<Params extends object>(query: PrecompiledQuery<Params, unknown>, params: Params, allOrReplay = false): Operation<void> {
  const effect: AppendEffect = allOrReplay ? { kind: "append", query, params, allOrReplay } : { kind: "append", query, params };
  yield effect;
}

/** A write nobody reads back, which may wait for the batch's deferred writes (LaterEffect). */
export function* later<Params extends object>(query: PrecompiledQuery<Params, unknown>, params: Params): Operation<void> {
  yield { kind: "later", query, params } satisfies LaterEffect;
}

/**
 * Two operations side by side: whenever both wait on a statement, the two statements go together
 * (one StatementsEffect: on PostgreSQL, one round trip instead of two); any other effect goes alone,
 * the first operation's before the second's. For reads that do not depend on each other, e.g. the
 * phone's guess counters and the payment it names. Both always run to their end.
 */
export function* together<A, B>(first: Operation<A>, second: Operation<B>): Operation<[A, B]> {
  let a = first.next();
  let b = second.next();
  while (a.done !== true || b.done !== true) {
    if (a.done !== true && b.done !== true && a.value.kind === "statement" && b.value.kind === "statement") {
      const [answerA, answerB] = (yield { kind: "statements", statements: [a.value, b.value] } satisfies StatementsEffect) as [unknown, unknown];
      a = first.next(answerA);
      b = second.next(answerB);
    } else if (a.done !== true) {
      a = first.next(yield a.value);
    } else if (b.done !== true) {
      b = second.next(yield b.value);
    }
  }
  return [a.value, b.value];
}

export function* audit(transfer: AuditedTransfer, now: number, alone: () => Operation<unknown>): Operation<void> {
  yield { kind: "audit", transfer, now, alone };
}

export function* optimistic(): Operation<boolean> {
  return (yield { kind: "optimistic" }) as boolean;
}

/** True when the PIN matches its scrypt hash. */
export function* verifyPin(pin: string, pinHash: string): Operation<boolean> {
  return (yield { kind: "verify-pin", pin, pinHash }) as boolean;
}
