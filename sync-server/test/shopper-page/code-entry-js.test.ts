/**
 * The page's code-entry module is plain JavaScript (no build step); its Damm check digit is the
 * contract's build, served beside it as /assets/payment-code.js. These tests take both files as the
 * shopper API serves them, import them side by side as a browser does, and hold them to the contract.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { registerShopperPage } from "../../src/shopper-page/shopper-page.js";
import { dammCheckDigit, groupCode, hasValidCheckDigit, withCheckDigit } from "@codepay/contract";

interface CodeEntryModule {
  dammCheckDigit(digits: string): number;
  hasValidCheckDigit(code: string): boolean;
  digitsOf(text: string, lengthMax: number): string;
  groupDigits(digits: string, codeLength: number): string;
  codeFeedback(
    digits: string,
    lengths: number | { expected: number; min: number; max: number },
  ): { state: "empty" | "partial" | "valid" | "typo"; missing: number; submittable: boolean };
}

async function servedCodeEntry(): Promise<CodeEntryModule> {
  const app = Fastify();
  registerShopperPage(app, { codeLength: () => 7, codeLengthMin: 7, codeLengthMax: 12 });
  const directory = mkdtempSync(join(tmpdir(), "codepay-page-"));
  for (const file of ["code-entry.js", "payment-code.js"]) {
    const response = await app.inject({ url: `/assets/${file}` });
    if (response.statusCode !== 200) throw new Error(`GET /assets/${file}: ${response.statusCode}`);
    writeFileSync(join(directory, file), response.body);
  }
  await app.close();
  return (await import(pathToFileURL(join(directory, "code-entry.js")).href)) as CodeEntryModule;
}

const page = await servedCodeEntry();
const digitStrings = fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 1, maxLength: 12 });

describe("the shopper page's code entry (public/shopper/code-entry.js with the contract's payment-code.js)", () => {
  it("computes the same Damm check digit as the protocol for any digits", () => {
    fc.assert(fc.property(digitStrings, (digits) => page.dammCheckDigit(digits) === dammCheckDigit(digits)));
    expect(page.dammCheckDigit("572")).toBe(4); // Damm's worked example: 572 -> 5724
  });

  it("accepts exactly the codes the protocol accepts", () => {
    fc.assert(fc.property(digitStrings, (digits) => page.hasValidCheckDigit(digits) === hasValidCheckDigit(digits)));
    fc.assert(fc.property(digitStrings, (digits) => page.hasValidCheckDigit(withCheckDigit(digits))));
  });

  it("flags every single-digit typo and adjacent swap of a valid code", () => {
    fc.assert(
      fc.property(digitStrings, fc.nat(), fc.integer({ min: 1, max: 9 }), (digits, at, delta) => {
        const code = withCheckDigit(digits);
        const index = at % code.length;
        const typo = code.slice(0, index) + String((Number(code[index]) + delta) % 10) + code.slice(index + 1);
        expect(page.codeFeedback(typo, code.length).state).toBe("typo");
        const swapAt = at % (code.length - 1);
        if (code[swapAt] !== code[swapAt + 1]) {
          const swapped = code.slice(0, swapAt) + code[swapAt + 1] + code[swapAt] + code.slice(swapAt + 2);
          expect(page.codeFeedback(swapped, code.length).state).toBe("typo");
        }
      }),
    );
  });

  it("groups a whole code like the pole display, and a partial one where its break will be", () => {
    fc.assert(fc.property(digitStrings, (digits) => page.groupDigits(withCheckDigit(digits), digits.length + 1) === groupCode(withCheckDigit(digits))));
    expect(page.groupDigits("4829", 7)).toBe("482 9");
    expect(page.groupDigits("48", 7)).toBe("48");
    // Long codes (a chain): three groups, as on the display; typing past the expected length regroups.
    expect(page.groupDigits("4829137051", 10)).toBe("482 913 7051");
    expect(page.groupDigits("4829", 10)).toBe("482 9");
    expect(page.groupDigits("482913705", 8)).toBe("482 913 705");
  });

  it("reports empty, partial, valid and typo as the shopper types", () => {
    expect(page.codeFeedback("", 7)).toEqual({ state: "empty", missing: 7, submittable: false });
    expect(page.codeFeedback("48291", 7)).toEqual({ state: "partial", missing: 2, submittable: false });
    const code = withCheckDigit("482913");
    expect(page.codeFeedback(code, 7).state).toBe("valid");
    expect(page.digitsOf(" 482-9x137 99", 7)).toBe("4829137");
  });

  it("while the server's code length changes, takes every length it may have issued", () => {
    // A chain grew past what 7 digits serve: new codes have 8 digits, older 7-digit ones are still open.
    const lengths = { expected: 8, min: 7, max: 12 };
    const newer = withCheckDigit("4829137");
    expect(page.codeFeedback(newer, lengths)).toEqual({ state: "valid", missing: 0, submittable: true });
    const older = withCheckDigit("482913");
    // Still one digit short of a new code, but an older code can be sent as it is.
    expect(page.codeFeedback(older, lengths)).toEqual({ state: "partial", missing: 1, submittable: true });
    const longer = withCheckDigit("482913705"); // issued after the page was loaded
    expect(page.codeFeedback(longer, lengths)).toEqual({ state: "valid", missing: 0, submittable: true });
    expect(page.codeFeedback(longer.slice(0, 9), lengths).submittable).toBe(hasValidCheckDigit(longer.slice(0, 9)));
    // Below the shortest length the server issues, or above the longest, nothing is sent.
    expect(page.codeFeedback(withCheckDigit("48291"), lengths).submittable).toBe(false);
    expect(page.codeFeedback(withCheckDigit("482913705123"), lengths).submittable).toBe(false);
    // A typo at the expected length says so.
    const typo = newer.slice(0, -1) + String((Number(newer.at(-1)) + 1) % 10);
    expect(page.codeFeedback(typo, lengths)).toEqual({ state: "typo", missing: 0, submittable: false });
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 6, maxLength: 11 }), (digits) => {
        expect(page.codeFeedback(withCheckDigit(digits), lengths).submittable).toBe(true);
      }),
    );
  });
});

describe("the page's messages module (plain JavaScript)", () => {
  it("formats the server's Retry-After for the shopper in English and Japanese", async () => {
    const messages = (await import(new URL("../../public/shopper/messages.js", import.meta.url).href)) as {
      formatWait(language: string, seconds: number): string;
      say(language: string, key: string, values?: Record<string, string>): string;
    };
    expect([7, 60, 150, 900].map((s) => messages.formatWait("en", s))).toEqual(["7 s", "1 min", "2 min 30 s", "15 min"]);
    expect([7, 60, 150, 900].map((s) => messages.formatWait("ja", s))).toEqual(["7秒", "1分", "2分30秒", "15分"]);
    expect(messages.say("en", "lockedDetailIn", { time: "2 min 30 s" })).toBe("Try again in 2 min 30 s.");
  });
});
