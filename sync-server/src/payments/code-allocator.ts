/**
 * One-time payment codes: random digits plus a Damm check digit (protocol/payment-code.ts).
 * Pure: the random source is injected. The shell tries the candidates in order against the
 * database, whose UNIQUE(open_code) decides which one is free.
 */
import { withCheckDigit } from "@codepay/contract";
import { assert } from "../assert.js";

/** Returns a uniformly random integer in [0, 10). */
export type RandomDigitSource = () => number;

export interface CodeAllocatorOptions {
  readonly randomDigits: number;
  readonly allocationAttemptsMax: number;
  readonly randomDigit: RandomDigitSource;
}

export function drawCode(randomDigits: number, randomDigit: RandomDigitSource): string {
  let digits = "";
  for (let i = 0; i < randomDigits; i += 1) {
    const digit = randomDigit();
    assert(Number.isInteger(digit) && digit >= 0 && digit <= 9, `random digit source returned ${digit}`);
    digits += String(digit);
  }
  return withCheckDigit(digits);
}

/** Up to `allocationAttemptsMax` candidate codes, never the same one twice. */
export function* codeCandidates(options: CodeAllocatorOptions): Generator<string, void, undefined> {
  assert(options.randomDigits >= 3 && options.randomDigits <= 11, "randomDigits must be 3..11");
  assert(options.allocationAttemptsMax >= 1, "allocationAttemptsMax must be at least 1");
  const tried = new Set<string>();
  for (let attempt = 0; attempt < options.allocationAttemptsMax; attempt += 1) {
    const code = drawCode(options.randomDigits, options.randomDigit);
    if (tried.has(code)) continue; // counts as an attempt: the bound holds even with a stuck source
    tried.add(code);
    yield code;
  }
}

export type AllocationResult = { readonly ok: true; readonly code: string; readonly attempts: number } | { readonly ok: false; readonly code: "CODE_ALLOCATION_FAILED"; readonly attempts: number };

/** Pure allocation against a known set of taken codes (used by tests and by anything in memory). */
export function allocateCode(options: CodeAllocatorOptions, isTaken: (code: string) => boolean): AllocationResult {
  let attempts = 0;
  for (const candidate of codeCandidates(options)) {
    attempts += 1;
    if (!isTaken(candidate)) return { ok: true, code: candidate, attempts };
  }
  return { ok: false, code: "CODE_ALLOCATION_FAILED", attempts };
}

/** A random digit source over node:crypto, unbiased (randomInt rejects out-of-range draws). */
export function cryptoRandomDigit(randomInt: (max: number) => number): RandomDigitSource {
  return () => randomInt(10);
}
