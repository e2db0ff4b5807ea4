/**
 * Whether PostgreSQL answers, as one process sees it (issue 24). The first connection-class failure
 * (database-faults.ts) marks it down: from then on every request is refused at once with
 * SERVER_UNAVAILABLE instead of each trying a connection, and one probe (`SELECT 1` on a fresh
 * connection) runs after `delayMsMin`, then after twice as long each time it fails, up to
 * `delayMsMax`. The first probe that succeeds marks it up and work resumes by itself: requests open
 * new connections (the pool dropped the dead ones).
 *
 * The one owner of that state; /health reads it (database: "down"), and the pool asks it before
 * handing out a connection.
 */
import { DatabaseUnavailableError, databaseFaultOf } from "./database-faults.js";

export interface AvailabilityOptions {
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  /** Resolves when the database answers; rejects otherwise. */
  readonly probe: () => Promise<void>;
  /** Told when the state changes (logging). */
  readonly onChange?: (up: boolean, error?: unknown) => void;
}

export class DatabaseAvailability {
  #up = true;
  #delayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Times it went down since start (metrics). */
  outages = 0;

  constructor(private readonly options: AvailabilityOptions) {
    this.#delayMs = options.delayMsMin;
  }

  get up(): boolean {
    return this.#up;
  }

  /** Throws DatabaseUnavailableError while the database is known to be down. */
  assertUp(): void {
    if (!this.#up) throw new DatabaseUnavailableError();
  }

  /** An error from a connection or a query: if it says the database is gone, it is down from now until a probe succeeds. */
  noteError(error: unknown): void {
    if (this.#closed || !this.#up || databaseFaultOf(error) !== "unavailable" || error instanceof DatabaseUnavailableError) return;
    this.#up = false;
    this.outages += 1;
    this.#delayMs = this.options.delayMsMin;
    this.options.onChange?.(false, error);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#probe(), this.#delayMs);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    try {
      await this.options.probe();
    } catch {
      this.#delayMs = Math.min(this.#delayMs * 2, this.options.delayMsMax);
      this.#schedule();
      return;
    }
    if (this.#closed) return;
    this.#up = true;
    this.options.onChange?.(true);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
