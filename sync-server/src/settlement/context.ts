import type { Clock } from "../clock.js";
import type { Db } from "../db/database.js";
import type { OutboxRow } from "../db/repositories/outbox.js";
import type { Logger } from "../logger.js";
import type { RandomDigitSource } from "../payments/code-allocator.js";

/** What the settlement service needs from the world, passed in by the composition root. */
export interface SettlementContext {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly codeTtlMs: number;
  readonly codeRandomDigits: number;
  readonly allocationAttemptsMax: number;
  readonly randomDigit: RandomDigitSource;
  /** Called after a transaction that wrote outbox rows has committed. Must not throw. */
  readonly deliverResults: (rows: readonly OutboxRow[]) => void;
}

/** A refusal: nothing the request asked for happened. */
export interface Refusal {
  readonly ok: false;
  readonly code: import("../protocol/index.js").ErrorCode;
  readonly message: string;
}
