/**
 * How much the guess policy lets an attacker win, pure (STYLE.md section 3). A blind guesser
 * types codes with a valid check digit (typos are refused before they count, so they buy nothing):
 * with `randomDigits` random digits there are 10^randomDigits such codes, of which `openCodes` are
 * open at any moment (codes are unique among the open payments of the whole server, not per store).
 * The guess count comes from running the policy itself (guess-policy.ts) against a guesser who
 * retries the instant each block ends, so this module cannot drift from what the server enforces.
 */
import { assert } from "../assert.js";
import { checkGuess, NO_FAILURES, recordFailure, type GuessPolicy, type GuessState } from "./guess-policy.js";

/** Codes with a valid check digit: one per string of random digits. */
export function codeSpace(randomDigits: number): number {
  return 10 ** randomDigits;
}

/**
 * The times (ms from the start) of every wrong guess a phone gets in `spanMs` when it guesses at
 * the highest rate the policy allows: at once when not blocked, else the instant the block ends.
 */
export function fastestGuessTimesMs(policy: GuessPolicy, spanMs: number, guessesMax = 100_000): number[] {
  const times: number[] = [];
  let state: GuessState = NO_FAILURES;
  let now = 0;
  while (now < spanMs) {
    assert(times.length < guessesMax, "guess simulation did not end: policy without a delay?");
    const verdict = checkGuess(state, now, policy);
    if (verdict.blocked) {
      now += verdict.retryAfterMs;
      continue;
    }
    times.push(now);
    state = recordFailure(state, now, policy).state;
  }
  return times;
}

/** The most guesses that fall in any half-open interval of `intervalMs` (a sliding window over the times). */
export function guessesInBusiestInterval(timesMs: readonly number[], intervalMs: number): number {
  let busiest = 0;
  let first = 0;
  for (let last = 0; last < timesMs.length; last += 1) {
    while (timesMs[last]! - timesMs[first]! >= intervalMs) first += 1;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

/**
 * The chance that `guesses` distinct blind guesses hit at least one of `openCodes` open codes in a
 * space of `space` codes: 1 - prod (1 - open / (space - i)). A guesser never repeats a code, so each
 * miss makes the next guess slightly better; this is exact for a fixed set of open codes.
 */
export function blindSuccessProbability(guesses: number, openCodes: number, space: number): number {
  assert(guesses >= 0 && openCodes >= 0 && openCodes <= space, "guesses and open codes must fit the space");
  let missAll = 1;
  for (let i = 0; i < guesses; i += 1) missAll *= 1 - openCodes / (space - i);
  return 1 - missAll;
}

/** The most open codes the server may hold while one phone's window stays at or below `target`. */
export function openCodesMax(guessesPerWindow: number, space: number, target: number): number {
  let low = 0;
  let high = space;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (blindSuccessProbability(guessesPerWindow, middle, space) <= target) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Guesses one phone gets in its busiest lockout window; undefined for a policy that never locks out (tests). */
export function guessesPerLockoutWindow(policy: GuessPolicy): number | undefined {
  if (policy.lockoutFailures > 10_000) return undefined;
  return guessesInBusiestInterval(fastestGuessTimesMs(policy, policy.lockoutMs + policy.windowMs), policy.lockoutMs);
}

export interface CodeLengthCheck {
  readonly registers: number;
  readonly guessesPerWindow: number;
  /** One phone's chance per lockout window with every register showing a code. */
  readonly successPerWindow: number;
  /** The most registers this code length serves at `target`. */
  readonly registersMax: number;
  readonly ok: boolean;
}

/** Does `randomDigits` keep one phone at or below `target` per lockout window with `registers` codes open? */
export function checkCodeLength(policy: GuessPolicy, randomDigits: number, registers: number, target: number): CodeLengthCheck | undefined {
  const guessesPerWindow = guessesPerLockoutWindow(policy);
  if (guessesPerWindow === undefined) return undefined;
  const space = codeSpace(randomDigits);
  const successPerWindow = blindSuccessProbability(guessesPerWindow, Math.min(registers, space), space);
  const registersMax = openCodesMax(guessesPerWindow, space, target);
  return { registers, guessesPerWindow, successPerWindow, registersMax, ok: registers <= registersMax };
}

export interface CodeLengthChoice {
  /** Random digits new codes get (the check digit comes on top). */
  readonly randomDigits: number;
  /** Open codes the length was chosen for. */
  readonly openCodes: number;
  /** The bound at that length; undefined for a policy that never locks out (tests): then `minDigits`. */
  readonly check: CodeLengthCheck | undefined;
  /** False when even `maxDigits` cannot keep the target: then `maxDigits`. */
  readonly meetsTarget: boolean;
}

/**
 * The shortest code length from `minDigits` to `maxDigits` that keeps one phone's chance per lockout
 * window at or below `target` with `openCodes` codes open on the server. Pure: the server counts
 * (settlement/code-length-sizer.ts) and asks this.
 */
export function chooseCodeDigits(policy: GuessPolicy, openCodes: number, minDigits: number, maxDigits: number, target: number): CodeLengthChoice {
  assert(Number.isInteger(minDigits) && Number.isInteger(maxDigits) && minDigits >= 1 && minDigits <= maxDigits, "code digits: 1 <= min <= max");
  let last: CodeLengthCheck | undefined;
  for (let digits = minDigits; digits <= maxDigits; digits += 1) {
    last = checkCodeLength(policy, digits, openCodes, target);
    if (last === undefined) return { randomDigits: minDigits, openCodes, check: undefined, meetsTarget: true };
    if (last.ok) return { randomDigits: digits, openCodes, check: last, meetsTarget: true };
  }
  return { randomDigits: maxDigits, openCodes, check: last, meetsTarget: false };
}
