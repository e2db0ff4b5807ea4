import { describe, expect, test } from "vitest";
import { duplicateJsonKey, parseMessage, RegisterRequestSchema, PROTOCOL_VERSION } from "../src/index.js";

describe("duplicateJsonKey", () => {
  test.each([
    ['{"a":1,"a":2}', "a"],
    ['{"a":{"b":1,"b":2}}', "b"],
    ['[{"x":1},{"x":2,"y":[1,{"z":0,"z":1}]}]', "z"],
    ['{"a\\u0062":1,"ab":2}', "ab"], // the same key, once escaped
    ['{"q\\"":1,"q\\"":2}', 'q"'],
  ])("%s names %s twice", (text, key) => {
    expect(duplicateJsonKey(text)).toBe(key);
  });

  test.each([['{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}'], ['{"a":"a","b":"a:a,{}"}'], ['[1,"a",{"a":"}"}]'], ['"a"'], ["{}"], ['{"":1,"a":""}']])("%s has none", (text) => {
    expect(duplicateJsonKey(text)).toBeUndefined();
  });

  test("parseMessage refuses a register request naming a key twice, and says which", () => {
    const body = `{"v":${PROTOCOL_VERSION},"type":"payment.cancel","requestId":"dup-request-0001","paymentId":"dup-payment-0001","paymentId":"dup-payment-0002"}`;
    const result = parseMessage(RegisterRequestSchema, body);
    expect(result).toMatchObject({ ok: false, code: "MALFORMED_MESSAGE", message: expect.stringContaining('"paymentId"') });
    expect(parseMessage(RegisterRequestSchema, body.replace(',"paymentId":"dup-payment-0002"', "")).ok).toBe(true);
  });
});

describe("receipt lines add up to the payment", () => {
  const create = (lines: unknown) => ({ v: PROTOCOL_VERSION, type: "payment.create", requestId: "lines-request-0001", paymentId: "lines-payment-0001", amount: { minor: 100, currency: "JPY" }, lines });

  test.each([
    ["priced lines that add up", [{ text: "Coffee", amountMinor: 120 }, { text: "Discount", amountMinor: -20 }]],
    ["notes only", [{ text: "Thank you" }]],
    ["a note beside priced lines", [{ text: "Coffee", amountMinor: 100 }, { text: "Have a nice day" }]],
    ["no lines", undefined],
  ])("%s are taken", (_name, lines) => {
    expect(RegisterRequestSchema.safeParse(create(lines)).success).toBe(true);
  });

  test.each([
    ["a line of -9,999,999 on a payment of 100", [{ text: "Coffee", amountMinor: 100 }, { text: "x", amountMinor: -9_999_999 }]],
    ["lines short of the amount", [{ text: "Coffee", amountMinor: 99 }]],
  ])("%s is refused (MALFORMED_MESSAGE on lines)", (_name, lines) => {
    const result = parseMessage(RegisterRequestSchema, JSON.stringify(create(lines)));
    expect(result).toMatchObject({ ok: false, code: "MALFORMED_MESSAGE", message: expect.stringMatching(/^lines: .*add up/) });
  });

  test("the same rule holds for a card payment's lines", () => {
    const card = { v: PROTOCOL_VERSION, type: "payment.card", requestId: "lines-request-0002", paymentId: "lines-payment-0002", amount: { minor: 100, currency: "JPY" }, card: { token: "a".repeat(64), last4: "1111", expiry: "3012" } };
    expect(RegisterRequestSchema.safeParse({ ...card, lines: [{ text: "Tea", amountMinor: 100 }] }).success).toBe(true);
    expect(RegisterRequestSchema.safeParse({ ...card, lines: [{ text: "Tea", amountMinor: 5 }] }).success).toBe(false);
  });
});
