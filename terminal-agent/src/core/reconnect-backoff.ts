/**
 * When the link tries the server again: exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter", 2015): the n-th retry waits a uniformly random time in
 * [0, min(max, min * 2^n)). A fixed or merely doubling schedule makes 20,000 registers that lost the
 * same server at the same instant knock at the same instants again (issue 23); full jitter spreads
 * them over the whole window, and a register the server refused (CONNACK 3 "server unavailable")
 * widens its own window.
 *
 * Pure: the random source and the time come in. A connection counts as good again (the schedule
 * starts over) only once it stayed up `stableAfterMs`, so a server that accepts and drops at once
 * does not reset everyone to the shortest window.
 */

export interface BackoffBounds {
  /** The first retry's window, ms (each later one doubles it). */
  readonly delayMsMin: number;
  /** The widest window, ms. */
  readonly delayMsMax: number;
  /** A connection up this long resets the schedule. */
  readonly stableAfterMs: number;
}

import { mqttConnectionStableMs, mqttReconnectDelayMsMax, mqttReconnectDelayMsMin } from "./limits.js";

/** Doublings past which the window is at its bound anyway (keeps 2^n finite). */
const DOUBLINGS_MAX = 30;

/** The window of retry `attempt` (0 = the first), ms. */
export function backoffWindowMs(attempt: number, bounds: BackoffBounds): number {
  return Math.min(bounds.delayMsMax, bounds.delayMsMin * 2 ** Math.min(attempt, DOUBLINGS_MAX));
}

/** A delay drawn uniformly from retry `attempt`'s window; `random` returns [0, 1) like Math.random. */
export function fullJitterDelayMs(attempt: number, bounds: BackoffBounds, random: () => number): number {
  return Math.floor(random() * backoffWindowMs(attempt, bounds));
}

/** The MQTT link's bounds (limits.ts). */
export const MQTT_RECONNECT_BOUNDS: BackoffBounds = { delayMsMin: mqttReconnectDelayMsMin, delayMsMax: mqttReconnectDelayMsMax, stableAfterMs: mqttConnectionStableMs };

export class ReconnectBackoff {
  #attempt = 0;
  #upSinceMs: number | undefined;

  constructor(
    private readonly bounds: BackoffBounds,
    private readonly random: () => number,
  ) {}

  /** Retries since the last good connection. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The connection is up (CONNACK accepted). */
  connected(nowMs: number): void {
    this.#upSinceMs = nowMs;
  }

  /** The connection closed, or an attempt failed: how long to wait before the next attempt. */
  nextDelayMs(nowMs: number): number {
    if (this.#upSinceMs !== undefined && nowMs - this.#upSinceMs >= this.bounds.stableAfterMs) this.#attempt = 0;
    this.#upSinceMs = undefined;
    const delayMs = fullJitterDelayMs(this.#attempt, this.bounds, this.random);
    this.#attempt += 1;
    return delayMs;
  }
}
