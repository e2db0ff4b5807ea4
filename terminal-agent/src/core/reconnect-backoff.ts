/**
 * When the link tries the server again: exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter", 2015): the n-th retry waits a uniformly random time in
 * [0, min(max, min * 2^n)). A fixed or merely doubling schedule makes 20,000 registers that lost the
 * same server at the same instant knock at the same instants again (issue 23); full jitter spreads
 * them over the whole window, and a register the server refused (CONNACK 3 "server unavailable")
 * widens its own window.
 *
 * Two kinds of failure widen differently. A connect refused by the server's host (ECONNREFUSED:
 * nothing listens on the port, e.g. while the server restarts; or reset before CONNACK, a full
 * accept queue) costs the server nothing, so its window
 * stops at `unreachableDelayMsMax` (a few seconds): the registers are back within that of the server
 * listening again instead of drawing from windows of up to 30 s that grew while it was down (the tail
 * that kept issue 23's average at 715 logins/s). Everything else the server might feel (a refused
 * CONNACK, a connect timeout, a dropped connection) widens up to `delayMsMax`, and only those widen
 * it: their window doubles with each of them since the last good connection, not with the refused
 * connects before them. Otherwise a register that knocked five times while the server restarted
 * drew its first retry after the server's first "busy" (or a reset while its accept queue was full)
 * from a 16 s window, and those few thousand registers were the storm's tail (issue 23).
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
  /** The widest window after a connect refused because nothing listened (ECONNREFUSED), ms. */
  readonly unreachableDelayMsMax: number;
  /** A connection up this long resets the schedule. */
  readonly stableAfterMs: number;
}

import { mqttConnectionStableMs, mqttReconnectDelayMsMax, mqttReconnectDelayMsMin, mqttReconnectUnreachableDelayMsMax } from "./limits.js";

/** Why the last attempt or connection ended: "unreachable" only for a connect the server never took. */
export type ConnectFailure = "unreachable" | "other";

/**
 * ECONNREFUSED: the host answered that nothing listens on the port. ECONNRESET before the server's
 * CONNACK: the host's kernel reset the connection before the server read the login, which is what a
 * full accept queue does during a reconnect storm (SYN cookies with no room left); the server never
 * saw this register, so like a refused connect it must not widen the window past a few seconds
 * (in issue 23's storms those resets, about 750 of 19,900 registers, were the last seconds' tail).
 * A reset after CONNACK is a server that dropped a login it had taken, and widens as before.
 */
export function connectFailureOf(errorCode: string | undefined, beforeConnack = false): ConnectFailure {
  if (errorCode === "ECONNREFUSED") return "unreachable";
  return errorCode === "ECONNRESET" && beforeConnack ? "unreachable" : "other";
}

/** Doublings past which the window is at its bound anyway (keeps 2^n finite). */
const DOUBLINGS_MAX = 30;

/** The window of retry `attempt` (0 = the first), ms. */
export function backoffWindowMs(attempt: number, bounds: BackoffBounds, failure: ConnectFailure = "other"): number {
  const max = failure === "unreachable" ? Math.min(bounds.unreachableDelayMsMax, bounds.delayMsMax) : bounds.delayMsMax;
  return Math.min(max, bounds.delayMsMin * 2 ** Math.min(attempt, DOUBLINGS_MAX));
}

/** A delay drawn uniformly from retry `attempt`'s window; `random` returns [0, 1) like Math.random. */
export function fullJitterDelayMs(attempt: number, bounds: BackoffBounds, random: () => number, failure: ConnectFailure = "other"): number {
  return Math.floor(random() * backoffWindowMs(attempt, bounds, failure));
}

/** The MQTT link's bounds (limits.ts). */
export const MQTT_RECONNECT_BOUNDS: BackoffBounds = {
  delayMsMin: mqttReconnectDelayMsMin,
  delayMsMax: mqttReconnectDelayMsMax,
  unreachableDelayMsMax: mqttReconnectUnreachableDelayMsMax,
  stableAfterMs: mqttConnectionStableMs,
};

export class ReconnectBackoff {
  #attempt = 0;
  /** The failures since the last good connection that were not "unreachable": what widens the window past its cap. */
  #felt = 0;
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

  /** The connection closed, or an attempt failed (`failure`: why): how long to wait before the next attempt. */
  nextDelayMs(nowMs: number, failure: ConnectFailure = "other"): number {
    if (this.#upSinceMs !== undefined && nowMs - this.#upSinceMs >= this.bounds.stableAfterMs) this.#attempt = this.#felt = 0;
    this.#upSinceMs = undefined;
    const delayMs = fullJitterDelayMs(failure === "unreachable" ? this.#attempt : this.#felt, this.bounds, this.random, failure);
    this.#attempt += 1;
    if (failure !== "unreachable") this.#felt += 1;
    return delayMs;
  }
}
