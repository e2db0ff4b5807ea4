/**
 * Rate limits and security headers on the HTTP listeners (plain HTTP here; HTTPS in
 * test/security/https.test.ts). The limiter runs on the server's clock, which this test moves: a
 * refused request answers 429 RATE_LIMITED with Retry-After, changes nothing, and the same request
 * works once Retry-After has passed.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollUser } from "../../src/index.js";
import { pairRegister } from "../../src/admin/register-commands.js";
import { addressKey, RATE_LIMIT_KEYS_MAX } from "../../src/http-security/http-rate-limits.js";
import { RateLimiter } from "../../src/http-security/rate-limiter.js";
import { API_CONTENT_SECURITY_POLICY } from "../../src/http-security/security-headers.js";
import { PAIRING_PATH } from "@codepay/contract";
import { issuePayment } from "../helpers/pay.js";
import { errorCodeOf, PhoneClient } from "../helpers/phone-client.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const LOOSE = { burst: 1_000, perMinute: 60_000 };

describe("token buckets (pure)", () => {
  it("a burst, then one token per 60000/perMinute ms; the wait is exact; keys are separate", () => {
    const limiter = new RateLimiter({ burst: 2, perMinute: 6 }, 10);
    expect(limiter.take("a", 0)).toEqual({ allowed: true });
    expect(limiter.take("a", 0)).toEqual({ allowed: true });
    expect(limiter.take("a", 0)).toEqual({ allowed: false, retryAfterMs: 10_000 });
    expect(limiter.take("b", 0)).toEqual({ allowed: true });
    expect(limiter.take("a", 4_000)).toEqual({ allowed: false, retryAfterMs: 6_000 });
    expect(limiter.take("a", 10_000)).toEqual({ allowed: true });
    expect(limiter.take("a", 10_000)).toEqual({ allowed: false, retryAfterMs: 10_000 });
    expect(limiter.take("a", 1_000_000)).toEqual({ allowed: true }); // refills up to the burst only
    expect(limiter.take("a", 1_000_000)).toEqual({ allowed: true });
    expect(limiter.take("a", 1_000_000).allowed).toBe(false);
    expect(limiter.take("a", 0).allowed).toBe(false); // a clock stepping back refills nothing
  });

  it("remembers at most keysMax keys, forgetting the least recently seen", () => {
    const limiter = new RateLimiter({ burst: 1, perMinute: 1 }, 2);
    limiter.take("a", 0);
    limiter.take("b", 0);
    limiter.take("a", 0); // a is now the most recent
    limiter.take("c", 0); // b is forgotten
    expect(limiter.size).toBe(2);
    expect(limiter.take("a", 0).allowed).toBe(false); // still remembered
    expect(limiter.take("b", 0).allowed).toBe(true); // forgotten: a fresh bucket (c is forgotten now)
    expect(limiter.take("c", 0).allowed).toBe(true);
    expect(RATE_LIMIT_KEYS_MAX).toBeGreaterThan(0);
  });

  it("addresses: IPv4 as is, IPv4-mapped unwrapped, IPv6 by its /64", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
  });
});

describe("per phone (shopper API) and security headers on plain HTTP", () => {
  let t: TestServer;
  let register: RegisterClient;
  beforeAll(async () => {
    t = await startTestServer({ extra: { httpRateLimits: { gatewayPerAddress: LOOSE, perPhone: { burst: 3, perMinute: 6 }, pairingPerAddress: LOOSE } } });
    register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
  });
  afterAll(async () => {
    await register.close();
    await t.stop();
  });

  it("a phone past its burst gets 429 RATE_LIMITED with Retry-After (through the gateway); the refused request changed nothing; other phones go on", async () => {
    const phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
    for (let i = 0; i < 3; i += 1) expect(errorCodeOf(await phone.claim("0000000"))).toBe("CODE_NOT_FOUND");
    const issued = await issuePayment(register, 500);
    const requestId = randomUUID();
    const limited = await phone.claim(issued.code, requestId);
    expect([limited.status, errorCodeOf(limited), limited.retryAfter]).toEqual([429, "RATE_LIMITED", "10"]);
    const other = await enrollUser({ dataDir: t.dataDir, userId: "other-shopper", name: "Other", phoneId: "+810000000777" });
    expect(errorCodeOf(await new PhoneClient(t.server.gatewayUrl, other.subscriberCredential).claim("0000000"))).toBe("CODE_NOT_FOUND");
    t.advance(9_000);
    expect((await phone.claim(issued.code, requestId)).status).toBe(429);
    t.advance(1_000);
    // The same requestId now claims: the refused attempt left no idempotency record and no claim.
    const claimed = await phone.claim(issued.code, requestId);
    expect([claimed.status, claimed.body["paymentId"]]).toEqual([200, issued.paymentId]);
    await register.request({ type: "payment.cancel", paymentId: issued.paymentId });
  });

  it("every response carries nosniff, no-referrer, DENY and a CSP; the page keeps its own; no HSTS without TLS", async () => {
    const api = await fetch(new URL("/api/v1/claims", t.server.gatewayUrl), { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(api.status).toBe(401);
    const page = await fetch(new URL("/pay", t.server.gatewayUrl));
    expect(page.status).toBe(200);
    for (const response of [api, page]) {
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("strict-transport-security")).toBeNull();
    }
    expect(api.headers.get("content-security-policy")).toBe(API_CONTENT_SECURITY_POLICY);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    const direct = await fetch(new URL("/api/v1/claims", t.server.shopperApiUrl), { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect([direct.status, direct.headers.get("content-security-policy"), direct.headers.get("x-frame-options")]).toEqual([401, API_CONTENT_SECURITY_POLICY, "DENY"]);
  });
});

describe("per client address (gateway, pairing)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ extra: { httpRateLimits: { gatewayPerAddress: { burst: 4, perMinute: 60 }, perPhone: LOOSE, pairingPerAddress: { burst: 2, perMinute: 1 } } } });
  });
  afterAll(() => t.stop());

  it("the gateway limits every request from an address before looking at its credential", async () => {
    const stranger = new PhoneClient(t.server.gatewayUrl, "x".repeat(32));
    for (let i = 0; i < 2; i += 1) expect((await fetch(new URL("/pay", t.server.gatewayUrl))).status).toBe(200);
    for (let i = 0; i < 2; i += 1) expect(errorCodeOf(await stranger.claim("0000000"))).toBe("SUBSCRIBER_UNKNOWN");
    const limited = await stranger.claim("0000000");
    expect([limited.status, errorCodeOf(limited), limited.retryAfter]).toEqual([429, "RATE_LIMITED", "1"]);
    const page = await fetch(new URL("/pay", t.server.gatewayUrl));
    expect([page.status, page.headers.get("retry-after")]).toEqual([429, "1"]);
    expect((await fetch(new URL("/pay", t.server.shopperApiUrl))).status).toBe(200); // the shopper API's page is not address-limited
    t.advance(1_000);
    expect((await fetch(new URL("/pay", t.server.gatewayUrl))).status).toBe(200);
  });

  it("pairing: after 2 attempts from an address, even a good code waits Retry-After; then it pairs", async () => {
    const redeem = async (pairingCode: string) => {
      const response = await fetch(new URL(PAIRING_PATH, t.server.shopperApiUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pairingCode }) });
      return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
    };
    const paired = await pairRegister({ dataDir: t.dataDir, storeId: t.demo.storeId, registerId: "limited-reg", name: "Limited", now: t.now() });
    expect((await redeem("WRONG-CODE-1")).status).toBe(404);
    expect((await redeem("WRONG-CODE-2")).status).toBe(404);
    const limited = await redeem(paired.pairingCode);
    expect([limited.status, (limited.body["error"] as { code: string }).code, limited.retryAfter]).toEqual([429, "RATE_LIMITED", "60"]);
    t.advance(60_000);
    const good = await redeem(paired.pairingCode);
    expect([good.status, good.body["registerId"]]).toEqual([200, "limited-reg"]);
  });
});
