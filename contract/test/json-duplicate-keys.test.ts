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
