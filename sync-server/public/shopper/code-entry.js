// Pure helpers for typing a payment code (no DOM). The Damm check digit is the contract's own code:
// ./payment-code.js is @codepay/contract's build of contract/src/payment-code.ts, served as it is
// (sync-server/src/shopper-page/shopper-page.ts), so there is one definition of the digit.
import { dammCheckDigit, hasValidCheckDigit } from "./payment-code.js";

export { dammCheckDigit, hasValidCheckDigit };

/** Keeps the digits of what was typed or pasted ("482 9137", "482-9137"), at most `lengthMax`. */
export function digitsOf(text, lengthMax) {
  return text.replace(/\D/g, "").slice(0, lengthMax);
}

/**
 * The group sizes of a code of `length` digits as the pole display shows it (protocol groupCode):
 * up to 8 digits the last group has 4 and the first the rest ("482 9137"); longer codes three
 * groups as even as possible, the longer ones last ("482 913 7051").
 */
function groupSizes(length) {
  if (length <= 4) return [length];
  if (length <= 8) return [length - 4, 4];
  const short = Math.floor(length / 3);
  const longGroups = length % 3;
  return [0, 1, 2].map((index) => short + (index >= 3 - longGroups ? 1 : 0));
}

/**
 * Groups digits the way the pole display shows the code. While the shopper types, the breaks sit
 * where they will be in a code of `codeLength` digits (or of what was typed, when longer), so
 * "4829" of a 7-digit code reads "482 9".
 */
export function groupDigits(digits, codeLength) {
  const groups = [];
  let start = 0;
  for (const size of groupSizes(Math.max(codeLength, digits.length))) {
    if (start >= digits.length) break;
    groups.push(digits.slice(start, start + size));
    start += size;
  }
  return groups.join(" ");
}

/**
 * What to tell the shopper about the digits so far. `lengths` is the length of a code issued now
 * (`expected`) and every length the server may have issued (`min`..`max`): while the server changes
 * its code length, older codes of another length are still open. A number means one length.
 *   state: "empty" | "partial" (with how many are missing to `expected`) | "valid" | "typo";
 *   submittable: the check digit holds at a length the server issues, so the code may be sent
 *   (also below `expected`, for an older shorter code: the hint still says digits are missing).
 */
export function codeFeedback(digits, lengths) {
  const { expected, min, max } = typeof lengths === "number" ? { expected: lengths, min: lengths, max: lengths } : lengths;
  const submittable = digits.length >= min && digits.length <= max && hasValidCheckDigit(digits);
  if (digits.length === 0) return { state: "empty", missing: expected, submittable };
  if (digits.length < expected) return { state: "partial", missing: expected - digits.length, submittable };
  if (submittable) return { state: "valid", missing: 0, submittable };
  // Past the expected length only a longer (newer) code goes on; it is a typo at the longest length.
  if (digits.length === expected || digits.length >= max) return { state: "typo", missing: 0, submittable };
  return { state: "partial", missing: 0, submittable };
}
