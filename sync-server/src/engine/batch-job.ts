/**
 * What both batch engines (batch-engine.ts on SQLite, postgres-batch-engine.ts on PostgreSQL) hold per
 * request: the job waiting for its batch, how its attempt ended, and the PIN check that sends it out of
 * the batch for asynchronous work.
 */
import type { Operation } from "./operation.js";

export interface Job {
  readonly attempt: () => Operation<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** PIN checks answered between batches, by `${hash}\0${pin}`; only this request's. */
  readonly pins: Map<string, boolean>;
  /** Times the request was run again after PostgreSQL chose it as a deadlock's victim (postgres-batch-engine.ts). */
  conflictRetries?: number;
}

export type Outcome =
  | { readonly kind: "done"; readonly value: unknown }
  | { readonly kind: "failed"; readonly error: unknown }
  /** `wrote`: what it wrote before must roll back (its savepoint), the rest of the batch stays. */
  | { readonly kind: "needs-pin"; readonly pin: string; readonly pinHash: string; readonly wrote: boolean };

/** A request left the batch for asynchronous work before writing anything. */
export class NeedsPin {
  constructor(
    readonly pin: string,
    readonly pinHash: string,
  ) {}
}

export const pinKey = (pinHash: string, pin: string): string => `${pinHash}\u0000${pin}`;
