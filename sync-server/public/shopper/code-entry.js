// Pure helpers for typing a payment code (no DOM). The page cannot import the TypeScript protocol
// module, so the Damm check digit is written again here; sync-server/test/shopper-page/ checks it
// against the protocol's dammCheckDigit.

// Damm's totally anti-symmetric quasigroup of order 10 (H. Michael Damm, 2004): the same table as
// sync-server/src/protocol/payment-code.ts.
const DAMM_TABLE = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/** The Damm check digit of a string of decimal digits. */
export function dammCheckDigit(digits) {
  let interim = 0;
  for (const character of digits) {
    const digit = character.charCodeAt(0) - 48;
    if (digit < 0 || digit > 9) throw new RangeError("dammCheckDigit takes decimal digits only");
    interim = DAMM_TABLE[interim][digit];
  }
  return interim;
}

/** True when the last digit is the Damm check digit of the others (the whole code reduces to 0). */
export function hasValidCheckDigit(code) {
  return /^\d{2,}$/.test(code) && dammCheckDigit(code) === 0;
}

/** Keeps the digits of what was typed or pasted ("482 9137", "482-9137"), at most `lengthMax`. */
export function digitsOf(text, lengthMax) {
  return text.replace(/\D/g, "").slice(0, lengthMax);
}

/**
 * Groups digits the way the pole display shows the code: the last group has 4 digits, the first
 * takes the rest ("482 9137"). While the shopper types, the break sits where it will be in the
 * whole code, so "4829" of a 7-digit code reads "482 9".
 */
export function groupDigits(digits, codeLength) {
  const head = codeLength > 4 ? codeLength - 4 : codeLength;
  if (digits.length <= head) return digits;
  return `${digits.slice(0, head)} ${digits.slice(head)}`;
}

/**
 * What to tell the shopper about the digits so far:
 *   "empty" | "partial" (with how many are missing) | "valid" | "typo" (check digit fails).
 */
export function codeFeedback(digits, codeLength) {
  if (digits.length === 0) return { state: "empty", missing: codeLength };
  if (digits.length < codeLength) return { state: "partial", missing: codeLength - digits.length };
  return { state: hasValidCheckDigit(digits) ? "valid" : "typo", missing: 0 };
}
