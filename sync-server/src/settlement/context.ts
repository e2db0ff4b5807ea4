import type { OperationRunner } from "../engine/operation.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/database.js";
import type { OutboxRow } from "../db/repositories/outbox.js";
import type { Logger } from "../logger.js";
import type { RandomDigitSource } from "../payments/code-allocator.js";
import type { GuessPolicy } from "../payments/guess-policy.js";
import type { ServerMessage } from "@codepay/contract";
import type { RegisterAddress } from "./register-address.js";

/** What the settlement service needs from the world, passed in by the composition root. */
export interface SettlementContext {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly codeTtlMs: number;
  /** The fewest random digits a code has (`--code-digits`): new codes get this unless `codeLength` says more. */
  readonly codeRandomDigits: number;
  /** The length for new codes now, sized to the deployment (settlement/code-length-sizer.ts); absent: `codeRandomDigits`. */
  readonly codeLength?: { readonly randomDigits: number };
  readonly allocationAttemptsMax: number;
  readonly randomDigit: RandomDigitSource;
  /** Called after a transaction that wrote outbox rows has committed. Must not throw. */
  readonly deliverResults: (rows: readonly OutboxRow[]) => void;
  /* Optional so contexts built elsewhere (the reliability simulation) keep compiling; absent = the default. */
  /** Best-effort message to a register after commit (a rotated code's fresh `payment.issued`). Must not throw. */
  readonly notifyRegister?: (to: RegisterAddress, message: ServerMessage) => void;
  /** Default DEFAULT_GUESS_POLICY. */
  readonly guessPolicy?: GuessPolicy;
  /** At or above this amount (minor units, any currency) the shopper also enters their PIN; undefined: never. */
  readonly pinThresholdMinor?: number | undefined;
  /** Sandbox: magic amounts force a decline, a timeout or an error (settlement/sandbox.ts). Default false. */
  readonly sandbox?: boolean;
  /** The batched engine (`serve` on SQLite): hot-path operations run in its batches; absent: each in its own Kysely transaction. */
  readonly engine?: OperationRunner;
}

/** Random digits for a code issued now (no query: the sizer counts off the hot path). */
export function newCodeRandomDigits(context: SettlementContext): number {
  return Math.max(context.codeRandomDigits, context.codeLength?.randomDigits ?? context.codeRandomDigits);
}

/** A refusal: nothing the request asked for happened. */
export interface Refusal {
  readonly ok: false;
  readonly code: import("@codepay/contract").ErrorCode;
  readonly message: string;
  /** PHONE_LOCKED / STORE_LOCKED: when to try again (HTTP Retry-After). */
  readonly retryAfterS?: number;
}
