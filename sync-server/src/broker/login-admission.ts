/**
 * Admission of MQTT logins (issue 23): while thousands of registers reconnect at once (a server
 * restart), logins are checked at a bounded rate, with a bounded number in flight; the rest wait in
 * a bounded FIFO queue, and a login that finds the queue full, or waits too long, is refused with
 * CONNACK 3 "server unavailable" (MQTT 3.1.1 §3.2.2.3), which the agent answers by backing off with
 * jitter. The registers already connected keep paying because the event loop never takes a burst of
 * logins in one go.
 *
 * Pure: a token bucket and a queue; the time comes in as an argument, and the shell (broker-hooks.ts)
 * runs what `offer` and `drain` decide.
 */

export interface AdmissionPolicy {
  /** Logins started per second, steady (the token bucket's refill). */
  readonly loginsPerSecondMax: number;
  /** Logins that may start at once after a quiet spell (the bucket's size). */
  readonly loginBurstMax: number;
  /** Logins being checked at once (database lookup, and one scrypt for a not yet rehashed row). */
  readonly loginsInFlightMax: number;
  /** Logins waiting; one more is refused at once. */
  readonly loginQueueMax: number;
  /** A login that waited this long is refused (its client would soon give up on its own). */
  readonly loginQueueWaitMsMax: number;
}

export type OfferDecision = "admitted" | "queued" | "refused";

export interface AdmissionCounts {
  /** Started at once, without waiting. */
  admittedAtOnce: number;
  /** Put in the queue (each is later admitted or refused as expired). */
  queued: number;
  /** Admitted from the queue. */
  admittedFromQueue: number;
  /** Refused at once: the queue was full. */
  refusedQueueFull: number;
  /** Refused after waiting `loginQueueWaitMsMax`. */
  refusedWaitedTooLong: number;
}

export interface DrainResult<T> {
  /** Start these now (each counts as in flight until `finished`). */
  readonly admit: readonly T[];
  /** Refuse these now (CONNACK 3). */
  readonly expire: readonly T[];
  /** Call `drain` again after this long; undefined: only when a login finishes or a new one is offered. */
  readonly nextInMs: number | undefined;
}

export class LoginAdmission<T> {
  #tokens: number;
  #refilledAtMs: number;
  #inFlight = 0;
  #queue: { item: T; atMs: number }[] = [];
  #head = 0;
  readonly counts: AdmissionCounts = { admittedAtOnce: 0, queued: 0, admittedFromQueue: 0, refusedQueueFull: 0, refusedWaitedTooLong: 0 };

  constructor(
    private readonly policy: AdmissionPolicy,
    nowMs: number,
  ) {
    if (!(policy.loginsPerSecondMax > 0 && policy.loginBurstMax >= 1 && policy.loginsInFlightMax >= 1 && policy.loginQueueMax >= 0)) {
      throw new Error("admission policy: rate > 0, burst >= 1, in flight >= 1, queue >= 0");
    }
    this.#tokens = policy.loginBurstMax;
    this.#refilledAtMs = nowMs;
  }

  get queueDepth(): number {
    return this.#queue.length - this.#head;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** A new login: start it now, queue it, or refuse it. */
  offer(item: T, nowMs: number): OfferDecision {
    this.#refill(nowMs);
    if (this.queueDepth === 0 && this.#mayStart()) {
      this.#start();
      this.counts.admittedAtOnce += 1;
      return "admitted";
    }
    if (this.queueDepth >= this.policy.loginQueueMax) {
      this.counts.refusedQueueFull += 1;
      return "refused";
    }
    this.#queue.push({ item, atMs: nowMs });
    this.counts.queued += 1;
    return "queued";
  }

  /** An admitted login's check is over (accepted or refused). */
  finished(): void {
    if (this.#inFlight === 0) throw new Error("admission: finished() without a login in flight");
    this.#inFlight -= 1;
  }

  /** Waiting logins to start or refuse now, and when to look again. */
  drain(nowMs: number): DrainResult<T> {
    this.#refill(nowMs);
    const expire: T[] = [];
    const admit: T[] = [];
    while (this.queueDepth > 0) {
      const head = this.#queue[this.#head]!;
      if (nowMs - head.atMs >= this.policy.loginQueueWaitMsMax) {
        expire.push(this.#shift());
        this.counts.refusedWaitedTooLong += 1;
      } else if (this.#mayStart()) {
        admit.push(this.#shift());
        this.#start();
        this.counts.admittedFromQueue += 1;
      } else {
        break;
      }
    }
    return { admit, expire, nextInMs: this.#nextInMs(nowMs) };
  }

  #nextInMs(nowMs: number): number | undefined {
    if (this.queueDepth === 0) return undefined;
    const untilExpiry = this.#queue[this.#head]!.atMs + this.policy.loginQueueWaitMsMax - nowMs;
    if (this.#inFlight >= this.policy.loginsInFlightMax) return Math.max(1, untilExpiry);
    const untilToken = Math.ceil(((1 - this.#tokens) * 1_000) / this.policy.loginsPerSecondMax);
    return Math.max(1, Math.min(untilToken, untilExpiry));
  }

  #mayStart(): boolean {
    return this.#inFlight < this.policy.loginsInFlightMax && this.#tokens >= 1;
  }

  #start(): void {
    this.#tokens -= 1;
    this.#inFlight += 1;
  }

  #shift(): T {
    const { item } = this.#queue[this.#head]!;
    this.#head += 1;
    // Compact now and then so the array does not keep every login ever queued.
    if (this.#head >= 1_024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  #refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.#refilledAtMs);
    this.#tokens = Math.min(this.policy.loginBurstMax, this.#tokens + (elapsedMs * this.policy.loginsPerSecondMax) / 1_000);
    this.#refilledAtMs = nowMs;
  }
}
