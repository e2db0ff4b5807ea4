/**
 * The one-time payment code: random digits followed by a Damm check digit.
 * Damm's quasigroup catches every single-digit error and every adjacent transposition,
 * so a phone can reject a typo before it asks the server.
 * Imports nothing: its build (dist/payment-code.js, the package export `./payment-code.js`) is served
 * as it is to the shopper page, which checks the digit with this very code.
 */

/** Default: 6 random digits plus 1 check digit. */
export const CODE_RANDOM_DIGITS_DEFAULT = 6;
/**
 * The longest a code gets: the server lengthens codes as registers are added (payments/code-length.ts)
 * up to this many random digits (12 typed digits with the check digit; `--code-digits` takes 1-11).
 */
export const CODE_RANDOM_DIGITS_MAX = 11;

// Damm's totally anti-symmetric quasigroup of order 10 (H. Michael Damm, 2004).
const DAMM_TABLE: readonly (readonly number[])[] = [
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
export function dammCheckDigit(digits: string): number {
  let interim = 0;
  for (const ch of digits) {
    const d = ch.charCodeAt(0) - 48;
    if (d < 0 || d > 9) throw new RangeError("dammCheckDigit takes decimal digits only");
    interim = DAMM_TABLE[interim]![d]!;
  }
  return interim;
}

/** True when `code` is all digits and its last digit is the Damm check digit of the rest. */
export function hasValidCheckDigit(code: string): boolean {
  if (!/^\d{2,}$/.test(code)) return false;
  return dammCheckDigit(code) === 0; // Damm: a number with its check digit appended reduces to 0
}

/** Appends the check digit. */
export function withCheckDigit(randomDigits: string): string {
  return randomDigits + String(dammCheckDigit(randomDigits));
}

/**
 * Groups a code for reading off a display. Up to 8 digits two groups, the last of 4:
 * "4829137" -> "482 9137". Longer codes three groups as even as possible, the longer ones last:
 * "4829137051" -> "482 913 7051", so no group is longer than 4 and the code stays 14 columns at most.
 */
export function groupCode(code: string): string {
  if (code.length <= 4) return code;
  if (code.length <= 8) {
    const head = code.length - 4;
    return `${code.slice(0, head)} ${code.slice(head)}`;
  }
  const short = Math.floor(code.length / 3);
  const longGroups = code.length % 3; // the last `longGroups` groups take one digit more
  const sizes = [0, 1, 2].map((index) => short + (index >= 3 - longGroups ? 1 : 0));
  return [code.slice(0, sizes[0]), code.slice(sizes[0], sizes[0]! + sizes[1]!), code.slice(sizes[0]! + sizes[1]!)].join(" ");
}

/** Strips what people type between digits (spaces, dashes). */
export function normalizeTypedCode(text: string): string {
  return text.replace(/[\s-]/g, "");
}
