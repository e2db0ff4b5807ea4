import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupCode, hasValidCheckDigit, withCheckDigit } from "../src/index.js";

const digitString = (length: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length }).map((ds) => ds.join(""));

/** Every code that differs from `code` in exactly one digit. */
function singleSubstitutions(code: string): string[] {
  const variants: string[] = [];
  for (let i = 0; i < code.length; i += 1) {
    for (let d = 0; d <= 9; d += 1) {
      if (String(d) !== code[i]) variants.push(code.slice(0, i) + String(d) + code.slice(i + 1));
    }
  }
  return variants;
}

/** Every code made by swapping two different adjacent digits of `code`. */
function adjacentTranspositions(code: string): string[] {
  const variants: string[] = [];
  for (let i = 0; i + 1 < code.length; i += 1) {
    if (code[i] !== code[i + 1]) variants.push(code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2));
  }
  return variants;
}

describe("Damm check digit on payment codes", () => {
  it("accepts every code it makes", () => {
    fc.assert(fc.property(digitString(6), (digits) => hasValidCheckDigit(withCheckDigit(digits))), { numRuns: 2_000 });
  });

  it("catches every single-digit substitution (check digit included) for random codes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 11 }).chain(digitString), (digits) => {
        const code = withCheckDigit(digits);
        return singleSubstitutions(code).every((typo) => !hasValidCheckDigit(typo));
      }),
      { numRuns: 2_000 },
    );
  });

  it("catches every adjacent transposition (check digit included) for random codes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 11 }).chain(digitString), (digits) => {
        const code = withCheckDigit(digits);
        return adjacentTranspositions(code).every((swap) => !hasValidCheckDigit(swap));
      }),
      { numRuns: 2_000 },
    );
  });

  it("catches every substitution and transposition for all 4-digit codes (exhaustive sample)", () => {
    let checked = 0;
    const missed: string[] = [];
    for (let n = 0; n < 10_000; n += 1) {
      const code = withCheckDigit(String(n).padStart(4, "0"));
      for (const typo of [...singleSubstitutions(code), ...adjacentTranspositions(code)]) {
        if (hasValidCheckDigit(typo)) missed.push(`${code} -> ${typo}`);
        checked += 1;
      }
    }
    expect(missed).toEqual([]);
    expect(checked).toBeGreaterThan(10_000 * 45);
  });

  it("refuses non-digits and too-short input", () => {
    expect(hasValidCheckDigit("")).toBe(false);
    expect(hasValidCheckDigit("7")).toBe(false);
    expect(hasValidCheckDigit("12a4")).toBe(false);
  });
});

describe("grouping a code for the display (groupCode)", () => {
  it("two groups up to 8 digits, the last of 4; three groups beyond, never one longer than 4", () => {
    expect(groupCode("4829137")).toBe("482 9137");
    expect(groupCode("48291370")).toBe("4829 1370");
    expect(groupCode("482913705")).toBe("482 913 705");
    expect(groupCode("4829137051")).toBe("482 913 7051");
    expect(groupCode("48291370512")).toBe("482 9137 0512");
    expect(groupCode("482913705123")).toBe("4829 1370 5123");
    fc.assert(
      fc.property(digitString(11), (digits) => {
        for (let length = 1; length <= digits.length + 1; length += 1) {
          const code = withCheckDigit(digits).slice(0, length);
          const grouped = groupCode(code);
          expect(grouped.replaceAll(" ", "")).toBe(code);
          expect(grouped.split(" ").every((group) => group.length <= 4)).toBe(true);
          expect(grouped.length).toBeLessThanOrEqual(14);
        }
      }),
    );
  });
});
