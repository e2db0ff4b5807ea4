import { describe, expect, it } from "vitest";
import { allocateCode, codeCandidates, drawCode } from "../../src/payments/code-allocator.js";
import { hasValidCheckDigit } from "@codepay/contract";

/** Replays digits in order, cycling: a deterministic random source. */
function scriptedDigits(digits: string) {
  let index = 0;
  return () => Number(digits[index++ % digits.length]);
}

describe("code allocator", () => {
  it("draws the requested number of random digits plus a valid check digit", () => {
    const code = drawCode(6, scriptedDigits("482913"));
    expect(code).toHaveLength(7);
    expect(code.startsWith("482913")).toBe(true);
    expect(hasValidCheckDigit(code)).toBe(true);
  });

  it("skips taken codes and returns the first free one", () => {
    const source = scriptedDigits("111111222222333333");
    const taken = new Set([drawCode(6, scriptedDigits("111111")), drawCode(6, scriptedDigits("222222"))]);
    const result = allocateCode({ randomDigits: 6, allocationAttemptsMax: 5, randomDigit: source }, (code) => taken.has(code));
    expect(result).toEqual({ ok: true, code: drawCode(6, scriptedDigits("333333")), attempts: 3 });
  });

  it("gives up with CODE_ALLOCATION_FAILED after allocationAttemptsMax", () => {
    const result = allocateCode({ randomDigits: 6, allocationAttemptsMax: 4, randomDigit: scriptedDigits("1234567") }, () => true);
    expect(result).toEqual({ ok: false, code: "CODE_ALLOCATION_FAILED", attempts: 4 });
  });

  it("never offers the same candidate twice and stays bounded with a stuck source", () => {
    const candidates = [...codeCandidates({ randomDigits: 6, allocationAttemptsMax: 10, randomDigit: () => 7 })];
    expect(candidates).toEqual([drawCode(6, () => 7)]);
  });

  it("yields unique codes from a real random source until the attempts run out", () => {
    const candidates = [...codeCandidates({ randomDigits: 6, allocationAttemptsMax: 50, randomDigit: () => Math.floor(Math.random() * 10) })];
    expect(new Set(candidates).size).toBe(candidates.length);
    expect(candidates.every(hasValidCheckDigit)).toBe(true);
  });

  it("refuses a source that returns something other than a digit", () => {
    expect(() => drawCode(6, () => 10)).toThrow(/random digit/);
  });
});
