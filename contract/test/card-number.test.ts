import { describe, expect, it } from "vitest";
import { isCardNumber, luhnValid, maskPan } from "../src/index.js";

describe("card numbers", () => {
  it("Luhn accepts the issuers' test cards and refuses every single-digit change of one", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("5555555555554444")).toBe(true);
    const pan = "4111111111111111";
    for (let index = 0; index < pan.length; index++) {
      for (let digit = 0; digit <= 9; digit++) {
        if (String(digit) === pan[index]) continue;
        expect(luhnValid(pan.slice(0, index) + String(digit) + pan.slice(index + 1))).toBe(false);
      }
    }
  });

  it("a card number is 12-19 digits with a valid check digit; anything else is not", () => {
    expect(isCardNumber("4111111111111111")).toBe(true);
    expect(isCardNumber("18")).toBe(false); // Luhn-valid, too short for a card
    expect(isCardNumber("4111 1111 1111 1111")).toBe(false);
    expect(isCardNumber("41111111111111111111")).toBe(false);
  });

  it("masking shows at most the first 6 and last 4 digits", () => {
    expect(maskPan("4111111111111111")).toBe("411111******1111");
    expect(maskPan("1234567890")).toBe("**********");
  });
});
