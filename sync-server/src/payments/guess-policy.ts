/**
 * Limits on guessing codes and PINs, pure (STYLE.md section 3). A subject (a phone, a store) may
 * fail a few times freely; after that each failure blocks it for a delay that doubles (growing
 * delays), and at `lockoutFailures` it is locked out for `lockoutMs`. Failures count within a
 * window; a success clears them (NIST SP 800-63B 5.2.2: limit consecutive failed attempts).
 */
export interface GuessPolicy {
  /** Failures allowed before any delay. */
  readonly freeFailures: number;
  /** First delay after the free failures; doubles with each further failure. */
  readonly delayMsBase: number;
  readonly delayMsMax: number;
  /** At this many failures in the window: locked out. */
  readonly lockoutFailures: number;
  readonly lockoutMs: number;
  /** Failures older than this (since the window started) are forgotten. */
  readonly windowMs: number;
  /** A store's pending codes get fresh ones after this many failures against the store. */
  readonly rotateAfterStoreFailures: number;
}

export const DEFAULT_GUESS_POLICY: GuessPolicy = {
  freeFailures: 3,
  delayMsBase: 1_000,
  delayMsMax: 60_000,
  lockoutFailures: 10,
  lockoutMs: 15 * 60_000,
  windowMs: 15 * 60_000,
  rotateAfterStoreFailures: 3,
};

export interface GuessState {
  readonly failures: number;
  readonly windowStartedAt: number;
  readonly blockedUntil: number;
  /** Failures since the store's codes were last rotated (stores only). */
  readonly rotationFailures: number;
}

export const NO_FAILURES: GuessState = { failures: 0, windowStartedAt: 0, blockedUntil: 0, rotationFailures: 0 };

export type GuessVerdict = { readonly blocked: false } | { readonly blocked: true; readonly retryAfterMs: number; readonly lockedOut: boolean };

export function checkGuess(state: GuessState, now: number, policy: GuessPolicy): GuessVerdict {
  if (now >= state.blockedUntil) return { blocked: false };
  return { blocked: true, retryAfterMs: state.blockedUntil - now, lockedOut: state.failures >= policy.lockoutFailures };
}

/** One more failure: the new state, and whether the store's codes are due for rotation. */
export function recordFailure(state: GuessState, now: number, policy: GuessPolicy): { state: GuessState; rotate: boolean } {
  const fresh = now - state.windowStartedAt >= policy.windowMs;
  const failures = (fresh ? 0 : state.failures) + 1;
  let blockedUntil = state.blockedUntil;
  if (failures >= policy.lockoutFailures) blockedUntil = now + policy.lockoutMs;
  else if (failures > policy.freeFailures) {
    const delay = Math.min(policy.delayMsBase * 2 ** (failures - policy.freeFailures - 1), policy.delayMsMax);
    blockedUntil = Math.max(blockedUntil, now + delay);
  }
  const rotationFailures = state.rotationFailures + 1;
  const rotate = rotationFailures >= policy.rotateAfterStoreFailures;
  return {
    state: { failures, windowStartedAt: fresh ? now : state.windowStartedAt, blockedUntil, rotationFailures: rotate ? 0 : rotationFailures },
    rotate,
  };
}
