/**
 * Throttling of failed MQTT logins, checked before the password (scrypt) is: the same growing
 * delays and lockout as guessing codes (payments/guess-policy.ts), kept per client address and
 * username, and more loosely per address alone (a store's registers share its NAT address, so that
 * cap is set high). Pure apart from its bounded maps; the time comes in as an argument.
 */
import { checkGuess, NO_FAILURES, recordFailure, type GuessPolicy, type GuessState } from "../payments/guess-policy.js";

export type LoginPolicy = Omit<GuessPolicy, "rotateAfterStoreFailures">;

export interface LoginThrottlePolicy {
  /** Failures of one username from one address (a register retrying a stale password, or a guesser). */
  readonly perAddressAndUsername: LoginPolicy;
  /** Failures from one address across all usernames. */
  readonly perAddress: LoginPolicy;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = {
  perAddressAndUsername: { freeFailures: 5, delayMsBase: 1_000, delayMsMax: 60_000, lockoutFailures: 20, lockoutMs: 15 * 60_000, windowMs: 15 * 60_000 },
  perAddress: { freeFailures: 50, delayMsBase: 1_000, delayMsMax: 60_000, lockoutFailures: 500, lockoutMs: 15 * 60_000, windowMs: 15 * 60_000 },
};

/** Keys remembered per map; past this the least recently failed is forgotten. */
export const LOGIN_THROTTLE_KEYS_MAX = 100_000;

export type LoginVerdict = { readonly refused: false } | { readonly refused: true; readonly retryAfterMs: number; readonly scope: "address and username" | "address" };

class FailureMap {
  private readonly states = new Map<string, GuessState>();
  constructor(private readonly policy: LoginPolicy) {}

  check(key: string, nowMs: number) {
    return checkGuess(this.states.get(key) ?? NO_FAILURES, nowMs, { ...this.policy, rotateAfterStoreFailures: Infinity });
  }

  fail(key: string, nowMs: number): void {
    const next = recordFailure(this.states.get(key) ?? NO_FAILURES, nowMs, { ...this.policy, rotateAfterStoreFailures: Infinity }).state;
    this.states.delete(key);
    this.states.set(key, next);
    if (this.states.size > LOGIN_THROTTLE_KEYS_MAX) this.states.delete(this.states.keys().next().value as string);
  }

  clear(key: string): void {
    this.states.delete(key);
  }
}

export class LoginThrottle {
  private readonly byAddressAndUsername: FailureMap;
  private readonly byAddress: FailureMap;

  constructor(policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE) {
    this.byAddressAndUsername = new FailureMap(policy.perAddressAndUsername);
    this.byAddress = new FailureMap(policy.perAddress);
  }

  /** Before the password is checked: may this address try this username now? */
  check(address: string, username: string, nowMs: number): LoginVerdict {
    const pair = this.byAddressAndUsername.check(pairKey(address, username), nowMs);
    if (pair.blocked) return { refused: true, retryAfterMs: pair.retryAfterMs, scope: "address and username" };
    const wide = this.byAddress.check(address, nowMs);
    if (wide.blocked) return { refused: true, retryAfterMs: wide.retryAfterMs, scope: "address" };
    return { refused: false };
  }

  failed(address: string, username: string, nowMs: number): void {
    this.byAddressAndUsername.fail(pairKey(address, username), nowMs);
    this.byAddress.fail(address, nowMs);
  }

  /** A good login clears its own username's failures, not the address's (one good login must not unlock a guesser). */
  succeeded(address: string, username: string): void {
    this.byAddressAndUsername.clear(pairKey(address, username));
  }
}

function pairKey(address: string, username: string): string {
  return `${address}\u0000${username}`;
}
