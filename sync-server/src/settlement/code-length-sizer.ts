/**
 * How long new payment codes are, following the deployment (issue 6, SECURITY.md "Guessing,
 * measured"): `--code-digits` is the minimum; the server counts what a guesser can hit (enabled
 * registers, and the codes actually open, whichever is more) and issues codes of the shortest
 * length whose bound (payments/guess-bound.ts) holds for that count.
 *
 * The count is a query, so it is not run per payment: it runs at start, every
 * `limits.codeLengthRecountIntervalMs`, and when a register comes online (a register enrolled by
 * `admin` in another process must connect before it can open a code). Payments read `randomDigits`,
 * a number in memory. Codes issued before a change keep their length until they close; the claim
 * path takes every length from the minimum to CODE_RANDOM_DIGITS_MAX.
 */
import { countEnabledRegisters } from "../db/repositories/registers.js";
import { countOpenCodes } from "../db/repositories/payments.js";
import type { Db } from "../db/database.js";
import type { Logger } from "../logger.js";
import { chooseCodeDigits, type CodeLengthChoice } from "../payments/guess-bound.js";
import type { GuessPolicy } from "../payments/guess-policy.js";
import { CODE_RANDOM_DIGITS_MAX } from "@codepay/contract";

export interface CodeLengthSizerOptions {
  readonly db: Db;
  readonly policy: GuessPolicy;
  /** `--code-digits`: codes are never shorter. */
  readonly minDigits: number;
  /** Default CODE_RANDOM_DIGITS_MAX. */
  readonly maxDigits?: number;
  /** One phone's chance per lockout window the length keeps (limits.guessSuccessPerWindowMax). */
  readonly target: number;
  readonly logger: Logger;
}

export class CodeLengthSizer {
  readonly minDigits: number;
  readonly maxDigits: number;
  #choice: CodeLengthChoice;
  #counting: Promise<CodeLengthChoice> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #onlineTimer: NodeJS.Timeout | undefined;
  #onlineCountedAtMs = Number.NEGATIVE_INFINITY;
  #logged = false;

  constructor(private readonly options: CodeLengthSizerOptions) {
    this.minDigits = options.minDigits;
    this.maxDigits = options.maxDigits ?? CODE_RANDOM_DIGITS_MAX;
    // Until the first count: the minimum (start() counts before the server takes requests).
    this.#choice = { randomDigits: this.minDigits, openCodes: 0, check: undefined, meetsTarget: true };
  }

  /** Random digits for a new code now: no query. */
  get randomDigits(): number {
    return this.#choice.randomDigits;
  }

  get choice(): CodeLengthChoice {
    return this.#choice;
  }

  /** Counts once (logs the chosen length), then every `intervalMs`. */
  async start(intervalMs: number): Promise<void> {
    await this.recount();
    this.#timer = setInterval(() => void this.recount().catch((error: unknown) => this.options.logger.error({ err: error }, "code length recount failed")), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    clearTimeout(this.#onlineTimer);
    this.#timer = this.#onlineTimer = undefined;
  }

  /**
   * A register came online: count again soon, at most once per `gapMs`. A reconnect storm brings
   * thousands of registers online a second, and counting 20,000 registers scans the table (about
   * 2.4 ms here): back to back, the counts took a large share of the event loop (issue 23). The
   * last register of a burst is always counted: the count runs at the end of the gap.
   */
  recountSoon(gapMs: number): void {
    if (this.#onlineTimer !== undefined) return;
    this.#onlineTimer = setTimeout(() => {
      this.#onlineTimer = undefined;
      this.#onlineCountedAtMs = performance.now();
      void this.recount().catch((error: unknown) => this.options.logger.error({ err: error }, "code length recount failed"));
    }, Math.max(0, this.#onlineCountedAtMs + gapMs - performance.now()));
    this.#onlineTimer.unref();
  }

  /**
   * Counts and re-chooses. One count at a time; a call during a count runs one more count after it
   * (so a register that connects mid-count is seen), and every caller gets that newer result.
   */
  recount(): Promise<CodeLengthChoice> {
    if (this.#counting !== undefined) {
      this.#again = true;
      return this.#counting.then(() => this.#counting ?? this.#choice);
    }
    this.#counting = this.#countOnce().finally(() => {
      this.#counting = undefined;
      if (this.#again) {
        this.#again = false;
        void this.recount().catch((error: unknown) => this.options.logger.error({ err: error }, "code length recount failed"));
      }
    });
    return this.#counting;
  }

  async #countOnce(): Promise<CodeLengthChoice> {
    const [registers, openCodes] = await Promise.all([countEnabledRegisters(this.options.db), countOpenCodes(this.options.db)]);
    const choice = chooseCodeDigits(this.options.policy, Math.max(registers, openCodes), this.minDigits, this.maxDigits, this.options.target);
    const previous = this.#choice;
    this.#choice = choice;
    if (!this.#logged || choice.randomDigits !== previous.randomDigits || choice.meetsTarget !== previous.meetsTarget) this.#log(choice, registers, openCodes);
    return choice;
  }

  #log(choice: CodeLengthChoice, registers: number, openCodes: number): void {
    this.#logged = true;
    const fields = {
      codeDigits: choice.randomDigits,
      codeDigitsMin: this.minDigits,
      registers,
      openCodes,
      registersMax: choice.check?.registersMax,
      successPerWindow: choice.check?.successPerWindow,
    };
    const chance = choice.check === undefined ? "no lockout in this guess policy" : `a guessing phone's chance per lockout window ${choice.check.successPerWindow.toExponential(1)}`;
    if (choice.meetsTarget) {
      this.options.logger.info(fields, `payment codes: ${choice.randomDigits} random digits + check digit for ${Math.max(registers, openCodes)} registers/open codes (serves up to ${choice.check?.registersMax ?? "any number"}; ${chance})`);
    } else {
      this.options.logger.warn(fields, `${Math.max(registers, openCodes)} registers/open codes: even ${choice.randomDigits} code digits (the most) serve at most ${choice.check?.registersMax}; ${chance}`);
    }
  }
}
