import { describe, expect, it } from "vitest";
import { blindSuccessProbability, checkCodeLength, chooseCodeDigits, codeSpace, fastestGuessTimesMs, guessesInBusiestInterval, openCodesMax } from "../../src/payments/guess-bound.js";
import { DEFAULT_GUESS_POLICY } from "../../src/payments/guess-policy.js";

describe("guess bound (pure)", () => {
  it("a guesser at the fastest rate: 4 at once, then after 1, 2, 4, 8, 16, 32 s; the 10th locks out for 15 minutes", () => {
    const times = fastestGuessTimesMs(DEFAULT_GUESS_POLICY, 3_600_000);
    expect(times.slice(0, 11)).toEqual([0, 0, 0, 0, 1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 963_000]);
    expect(times).toHaveLength(40);
    expect(guessesInBusiestInterval(times, DEFAULT_GUESS_POLICY.lockoutMs)).toBe(10);
  });

  it("the busiest interval is half-open", () => {
    expect(guessesInBusiestInterval([0, 0, 5, 10], 10)).toBe(3);
    expect(guessesInBusiestInterval([0, 10, 20], 10)).toBe(1);
    expect(guessesInBusiestInterval([], 10)).toBe(0);
  });

  it("blind success probability with distinct guesses", () => {
    expect(blindSuccessProbability(1, 1, 10)).toBeCloseTo(0.1, 12);
    expect(blindSuccessProbability(2, 1, 10)).toBeCloseTo(0.2, 12); // 1 - 9/10 * 8/9
    expect(blindSuccessProbability(10, 10, 10)).toBe(1);
    expect(blindSuccessProbability(0, 5, 10)).toBe(0);
    expect(blindSuccessProbability(10, 10, codeSpace(6))).toBeLessThanOrEqual(1e-4);
    expect(blindSuccessProbability(10, 11, codeSpace(6))).toBeGreaterThan(1e-4);
  });

  it("open codes allowed for a target", () => {
    expect(openCodesMax(10, codeSpace(6), 1e-4)).toBe(10);
    expect(openCodesMax(10, codeSpace(8), 1e-4)).toBe(1_000);
    expect(openCodesMax(1, 10, 0.35)).toBe(3);
  });
});

describe("code length check (what serve warns about)", () => {
  it("6 digits serve 10 registers at 1 in 10,000 with the default policy; 11 do not; a policy without lockout is not judged", () => {
    expect(checkCodeLength(DEFAULT_GUESS_POLICY, 6, 10, 1e-4)).toMatchObject({ ok: true, registersMax: 10, guessesPerWindow: 10 });
    expect(checkCodeLength(DEFAULT_GUESS_POLICY, 6, 11, 1e-4)).toMatchObject({ ok: false, registersMax: 10 });
    expect(checkCodeLength(DEFAULT_GUESS_POLICY, 7, 11, 1e-4)?.ok).toBe(true);
    expect(checkCodeLength({ ...DEFAULT_GUESS_POLICY, lockoutFailures: 1e9 }, 6, 11, 1e-4)).toBeUndefined();
  });
});


describe("choosing the code length for the deployment (chooseCodeDigits)", () => {
  const target = 1 / 10_000;
  it("the shortest length from the minimum whose bound holds: 6 digits up to 10 registers, 7 to 100, 8 to 1,000", () => {
    const digitsFor = (registers: number, minDigits = 6) => chooseCodeDigits(DEFAULT_GUESS_POLICY, registers, minDigits, 11, target).randomDigits;
    expect([0, 1, 10, 11, 20, 100, 101, 500, 1_000, 1_001, 10_000, 10_001].map((registers) => digitsFor(registers))).toEqual([6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 10]);
    // The minimum holds even where shorter would do.
    expect(digitsFor(1, 8)).toBe(8);
    for (const registers of [1, 10, 11, 20, 500, 12_345]) {
      const choice = chooseCodeDigits(DEFAULT_GUESS_POLICY, registers, 6, 11, target);
      expect(choice.meetsTarget).toBe(true);
      expect(choice.check!.successPerWindow).toBeLessThanOrEqual(target);
      // One digit fewer (if allowed) would not hold: it is the shortest.
      if (choice.randomDigits > 6) expect(checkCodeLength(DEFAULT_GUESS_POLICY, choice.randomDigits - 1, registers, target)!.ok).toBe(false);
    }
  });

  it("past what the longest code serves: the longest, flagged as missing the target", () => {
    const choice = chooseCodeDigits(DEFAULT_GUESS_POLICY, 50_000, 6, 8, target);
    expect(choice).toMatchObject({ randomDigits: 8, meetsTarget: false, openCodes: 50_000 });
    expect(choice.check!.successPerWindow).toBeGreaterThan(target);
  });

  it("a policy without lockout (tests) is not judged: the minimum", () => {
    const noLockout = { ...DEFAULT_GUESS_POLICY, lockoutFailures: 1e9 };
    expect(chooseCodeDigits(noLockout, 1_000_000, 6, 11, target)).toMatchObject({ randomDigits: 6, meetsTarget: true, check: undefined });
  });
});
