import { describe, expect, it } from "vitest";
import { mayPublish, maySubscribe } from "../../src/broker/register-acl.js";

const me = { storeId: "s1", registerId: "r1" };

describe("register ACL", () => {
  it("allows only the register's own up and status topics for publish", () => {
    expect(mayPublish(me, "codepay/v1/s1/r1/up")).toBe(true);
    expect(mayPublish(me, "codepay/v1/s1/r1/status")).toBe(true);
    expect(mayPublish(me, "codepay/v1/s1/r1/down")).toBe(false);
    expect(mayPublish(me, "codepay/v1/s1/r2/up")).toBe(false);
    expect(mayPublish(me, "codepay/v1/s2/r1/up")).toBe(false);
  });

  it("allows only the register's own down topic for subscribe, never wildcards", () => {
    expect(maySubscribe(me, "codepay/v1/s1/r1/down")).toBe(true);
    expect(maySubscribe(me, "codepay/v1/s1/r2/down")).toBe(false);
    expect(maySubscribe(me, "codepay/v1/s1/+/down")).toBe(false);
    expect(maySubscribe(me, "codepay/v1/#")).toBe(false);
    expect(maySubscribe(me, "#")).toBe(false);
  });
});
