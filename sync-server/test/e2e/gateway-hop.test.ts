/**
 * The carrier gateway's two ways to the shopper API (README "Configuration", `--gateway-hop`):
 * in-process (the default: the gateway hands claims, approvals and declines to the shopper
 * operations with the phone it authenticated) and http (a signed assertion over loopback HTTP, as a
 * separate gateway or a real carrier does). Two real servers, one per hop, run the same script of
 * phone requests (same seed, same scripted code digits, same clock) and must answer byte for byte
 * alike: status, every header but Date in the same order, body. Then: the shopper API's own port
 * still refuses what the in-process hop never sends it, and the per-phone limit covers both doors.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadOrCreateCarrierKey } from "../../src/carrier-gateway/carrier-keys.js";
import { newAssertionNonce, signPhoneAssertion } from "../../src/carrier-gateway/phone-assertion.js";
import { PHONE_ASSERTION_HEADER } from "@codepay/contract";
import { PhoneAuthenticator } from "../../src/shopper-api/phone-authentication.js";
import type { GatewayHop } from "../../src/server.js";
import { issuePayment } from "../helpers/pay.js";
import { errorCodeOf, PhoneClient } from "../helpers/phone-client.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface RawReply {
  readonly status: number;
  /** Name/value pairs in wire order, Date dropped (the only header that differs between runs). */
  readonly headers: readonly string[];
  readonly body: string;
}

interface Step {
  readonly name: string;
  readonly method?: string;
  readonly path: string;
  /** null: no content-type header. Default application/json. */
  readonly contentType?: string | null;
  /** Sent as is; undefined: no body. */
  readonly body?: string;
  readonly credential?: "phone" | "stranger";
}

function rawRequest(url: URL, init: { method: string; headers: Record<string, string>; body?: string }): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: init.method, headers: init.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const headers: string[] = [];
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          if (response.rawHeaders[i]?.toLowerCase() !== "date") headers.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
        }
        resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
      });
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(init.body);
  });
}

/** 111111, 222222, ...: both servers issue the same codes. */
function scriptedDigits(): () => number {
  let drawn = 0;
  return () => (Math.floor(drawn++ / 6) % 9) + 1;
}

/** A wrong code counts from the fourth failure on: the script ends with a phone that must wait (Retry-After). */
const GUESSES = { freeFailures: 3, delayMsBase: 1_000, delayMsMax: 60_000, lockoutFailures: 1e9, lockoutMs: 1, windowMs: 900_000, rotateAfterStoreFailures: 1e9 } as const;

class HopRun {
  readonly replies: { step: string; reply: RawReply }[] = [];
  private register!: RegisterClient;
  private constructor(readonly t: TestServer) {}

  static async start(hop: GatewayHop): Promise<HopRun> {
    const run = new HopRun(await startTestServer({ extra: { gatewayHop: hop, randomDigit: scriptedDigits(), codeDigitsFixed: true, guessPolicy: GUESSES } }));
    run.register = await RegisterClient.connect(run.t.server.mqttUrl, run.t.demo.storeId, run.t.demo.registerId, run.t.demo.password);
    return run;
  }

  async issue(paymentId: string, amountMinor: number): Promise<string> {
    return (await issuePayment(this.register, amountMinor, paymentId)).code;
  }

  async send(step: Step): Promise<RawReply> {
    const credential = step.credential === "stranger" ? "s".repeat(43) : this.t.demo.subscriberCredential;
    const contentType = step.contentType === undefined ? "application/json" : step.contentType;
    const headers: Record<string, string> = { authorization: `Bearer ${credential}`, ...(contentType !== null ? { "content-type": contentType } : {}) };
    const reply = await rawRequest(new URL(step.path, this.t.server.gatewayUrl), { method: step.method ?? "POST", headers, ...(step.body !== undefined ? { body: step.body } : {}) });
    this.replies.push({ step: step.name, reply });
    return reply;
  }

  async stop(): Promise<void> {
    await this.register.close();
    await this.t.stop();
  }
}

const claim = (name: string, requestId: string, code: string): Step => ({ name, path: "/api/v1/claims", body: JSON.stringify({ requestId, code }) });
const decide = (name: string, paymentId: string, decision: "approve" | "decline", requestId: string): Step => ({ name, path: `/api/v1/payments/${paymentId}/${decision}`, body: JSON.stringify({ requestId }) });

/** Requests the in-process hop answers itself: the three operations, every refusal they give, bad JSON. */
async function inProcessScript(run: HopRun): Promise<void> {
  await run.send(claim("typo", "hop-claim-typo", "0000001"));
  await run.send(claim("no such code", "hop-claim-none", "0000000"));
  const first = await run.issue("hop-pay-0001", 500);
  await run.send(claim("claim", "hop-claim-0001", first));
  await run.send(claim("claim again (idempotent)", "hop-claim-0001", first));
  await run.send(claim("same requestId, other body", "hop-claim-0001", "0000000"));
  await run.send(decide("approve", "hop-pay-0001", "approve", "hop-approve-0001"));
  await run.send(decide("approve a settled payment", "hop-pay-0001", "approve", "hop-approve-0002"));
  const second = await run.issue("hop-pay-0002", 700);
  await run.send(claim("claim the second", "hop-claim-0002", second));
  await run.send(decide("decline", "hop-pay-0002", "decline", "hop-decline-0002"));
  await run.send(decide("approve an unknown payment", "hop-pay-unknown", "approve", "hop-approve-0003"));
  await run.send({ name: "body misses fields", path: "/api/v1/claims", body: "{}" });
  await run.send({ name: "decision without requestId", path: "/api/v1/payments/hop-pay-0002/decline", body: JSON.stringify({ pin: 1234 }) });
  await run.send({ name: "not JSON", path: "/api/v1/claims", body: "{" });
  await run.send({ name: "empty JSON body", path: "/api/v1/claims", body: "" });
  await run.send({ name: "prototype poisoning", path: "/api/v1/claims", body: '{"__proto__":{"polluted":1},"requestId":"hop-claim-0003","code":"0000000"}' });
  await run.send({ name: "no content type, no body", path: "/api/v1/claims", contentType: null });
  await run.send({ name: "JSON with charset, other case", path: "/api/v1/claims", contentType: "Application/JSON; charset=UTF-8", body: JSON.stringify({ requestId: "hop-claim-0004", code: "0000000" }) });
  await run.send({ name: "unknown credential", path: "/api/v1/claims", credential: "stranger", body: JSON.stringify({ requestId: "hop-claim-0005", code: "0000000" }) });
}

/** Requests the in-process hop leaves to the signed HTTP hop, so fastify answers them as before. */
async function fallbackScript(run: HopRun): Promise<void> {
  await run.send({ name: "text/plain", path: "/api/v1/claims", contentType: "text/plain", body: JSON.stringify({ requestId: "hop-claim-0006", code: "0000000" }) });
  await run.send({ name: "form-encoded", path: "/api/v1/claims", contentType: "application/x-www-form-urlencoded", body: "code=0000000" });
  await run.send({ name: "unknown route", path: "/api/v1/nothing-here", body: "{}" });
  await run.send({ name: "GET on a POST route", method: "GET", path: "/api/v1/claims", contentType: null });
  await run.send({ name: "PUT", method: "PUT", path: "/api/v1/claims", body: "{}" });
  await run.send({ name: "short paymentId", path: "/api/v1/payments/short/approve", body: JSON.stringify({ requestId: "hop-approve-0004" }) });
  await run.send({ name: "query string", path: "/api/v1/claims?x=1", body: JSON.stringify({ requestId: "hop-claim-0007", code: "0000000" }) });
  await run.send({ name: "trailing slash", path: "/api/v1/claims/", body: "{}" });
  await run.send({ name: "escaped paymentId", path: "/api/v1/payments/hop%2Dpay%2D0001/approve", body: JSON.stringify({ requestId: "hop-approve-0005" }) });
}

/** Wrong codes until the phone must wait: PHONE_LOCKED with Retry-After. */
async function lockoutScript(run: HopRun): Promise<void> {
  for (let i = 0; i < 4; i += 1) await run.send(claim(`wrong code ${i + 1}`, `hop-claim-wrong-${i}`, "0000000"));
}

describe("the gateway's in-process hop answers as the signed HTTP hop does", () => {
  const runs = new Map<GatewayHop, HopRun>();
  const verifications = new Map<GatewayHop, { inProcessScript: number; fallbackScript: number }>();

  beforeAll(async () => {
    const authenticate = vi.spyOn(PhoneAuthenticator.prototype, "authenticate");
    for (const hop of ["http", "in-process"] as const) {
      const run = await HopRun.start(hop);
      runs.set(hop, run);
      authenticate.mockClear();
      await inProcessScript(run);
      const afterInProcess = authenticate.mock.calls.length;
      await fallbackScript(run);
      verifications.set(hop, { inProcessScript: afterInProcess, fallbackScript: authenticate.mock.calls.length - afterInProcess });
      await lockoutScript(run);
    }
    authenticate.mockRestore();
  });

  afterAll(async () => {
    for (const run of runs.values()) await run.stop();
  });

  it("the same status, headers (in order) and body bytes for every request; an approval's ledger reference is the only difference", () => {
    const viaHttp = runs.get("http")!.replies;
    const inProcess = runs.get("in-process")!.replies;
    expect(inProcess.map((entry) => entry.step)).toEqual(viaHttp.map((entry) => entry.step));
    // The transfer id is random per server; everything else is the same bytes.
    const referenceOf = (body: string) => (/"reference":"([^"]+)"/.exec(body) ?? [])[1];
    for (const [index, entry] of inProcess.entries()) {
      const other = viaHttp[index]!;
      const [ours, theirs] = [referenceOf(entry.reply.body), referenceOf(other.reply.body)];
      const normalize = (reply: RawReply, reference: string | undefined) => ({ ...reply, body: reference === undefined ? reply.body : reply.body.replace(reference, "<reference>") });
      expect({ step: entry.step, ...normalize(entry.reply, ours) }).toEqual({ step: other.step, ...normalize(other.reply, theirs) });
    }
  });

  it("the script covered what phones see: each operation's success, the refusals, fastify's own errors and a Retry-After", () => {
    const byStep = new Map(runs.get("in-process")!.replies.map((entry) => [entry.step, entry.reply]));
    const statusAndCode = (step: string) => {
      const reply = byStep.get(step)!;
      return [reply.status, (JSON.parse(reply.body) as { error?: { code?: string } }).error?.code];
    };
    expect(statusAndCode("claim")).toEqual([200, undefined]);
    expect(JSON.parse(byStep.get("claim")!.body)).toMatchObject({ paymentId: "hop-pay-0001", amount: { minor: 500, currency: "JPY" } });
    expect(JSON.parse(byStep.get("approve")!.body)).toMatchObject({ paymentId: "hop-pay-0001", state: "approved" });
    expect(JSON.parse(byStep.get("decline")!.body)).toEqual({ paymentId: "hop-pay-0002", state: "declined" });
    expect(statusAndCode("typo")).toEqual([422, "CODE_CHECK_DIGIT"]);
    expect(statusAndCode("no such code")).toEqual([404, "CODE_NOT_FOUND"]);
    expect(statusAndCode("same requestId, other body")).toEqual([422, "IDEMPOTENCY_MISMATCH"]);
    expect(statusAndCode("approve a settled payment")).toEqual([409, "PAYMENT_SETTLED"]);
    expect(statusAndCode("approve an unknown payment")).toEqual([404, "PAYMENT_NOT_FOUND"]);
    for (const step of ["body misses fields", "not JSON", "empty JSON body", "prototype poisoning", "no content type, no body"]) expect(statusAndCode(step)).toEqual([400, "BAD_REQUEST"]);
    expect(statusAndCode("JSON with charset, other case")).toEqual([404, "CODE_NOT_FOUND"]);
    expect(statusAndCode("unknown credential")).toEqual([401, "SUBSCRIBER_UNKNOWN"]);
    expect(statusAndCode("form-encoded")).toEqual([415, "BAD_REQUEST"]);
    expect(statusAndCode("unknown route")).toEqual([404, "NOT_FOUND"]);
    const locked = byStep.get("wrong code 4")!;
    expect([locked.status, locked.headers.some((header) => /^retry-after: \d+$/i.test(header))]).toEqual([429, true]);
    const approved = byStep.get("approve")!;
    expect(approved.headers).toEqual(expect.arrayContaining(["content-type: application/json; charset=utf-8", "x-content-type-options: nosniff", "x-frame-options: DENY"]));
  });

  it("in-process, the gateway's requests reach the operations without a signed assertion; only the odd ones take the HTTP hop", () => {
    // Assertions verified by the shopper API while each script ran (PhoneAuthenticator.authenticate).
    expect(verifications.get("in-process")!.inProcessScript).toBe(0);
    // Over HTTP every one of the 18 but the unknown credential and the three bodies fastify's JSON parser refuses.
    expect(verifications.get("http")!.inProcessScript).toBe(14);
    // text/plain, the short and the escaped paymentId and the query string reach a phone route over HTTP; fastify refuses the rest before it.
    expect(verifications.get("in-process")!.fallbackScript).toBe(4);
    expect(verifications.get("http")!.fallbackScript).toBe(4);
  });
});

describe("in-process hop: the shopper API's port and the rate limits", () => {
  let t: TestServer;
  const LOOSE = { burst: 1_000, perMinute: 60_000 };
  beforeAll(async () => {
    t = await startTestServer({ extra: { gatewayHop: "in-process", httpRateLimits: { gatewayPerAddress: LOOSE, perPhone: { burst: 2, perMinute: 6 }, pairingPerAddress: LOOSE } } });
  });
  afterAll(() => t.stop());

  const signed = () => signPhoneAssertion({ carrier: "demo-carrier", phoneId: t.demo.phoneId, iat: t.now(), nonce: newAssertionNonce() }, loadOrCreateCarrierKey(t.dataDir, "demo-carrier").privateKey);
  const toShopperApi = async (headers: Record<string, string>) => {
    const response = await fetch(new URL("/api/v1/claims", t.server.shopperApiUrl), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ requestId: `direct-${newAssertionNonce()}`, code: "0000000" }),
    });
    const retryAfter = response.headers.get("retry-after");
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, ...(retryAfter !== null ? { retryAfter } : {}) };
  };

  it("the shopper API's port still refuses a request without a valid assertion, whatever else it carries", async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${t.demo.subscriberCredential}` }, { [PHONE_ASSERTION_HEADER]: "in-process" }];
    for (const headers of attempts) {
      const reply = await toShopperApi(headers);
      expect([reply.status, errorCodeOf(reply)]).toEqual([401, PHONE_ASSERTION_HEADER in headers ? "ASSERTION_INVALID" : "ASSERTION_MISSING"]);
    }
  });

  it("one per-phone limit for both doors: the gateway's in-process hop and signed requests to the shopper API", async () => {
    const phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
    expect(errorCodeOf(await phone.claim("0000000"))).toBe("CODE_NOT_FOUND");
    expect(errorCodeOf(await toShopperApi({ [PHONE_ASSERTION_HEADER]: signed() }))).toBe("CODE_NOT_FOUND");
    const viaGateway = await phone.claim("0000000");
    expect([viaGateway.status, errorCodeOf(viaGateway), viaGateway.retryAfter]).toEqual([429, "RATE_LIMITED", "10"]);
    const direct = await toShopperApi({ [PHONE_ASSERTION_HEADER]: signed() });
    expect([direct.status, errorCodeOf(direct), direct.retryAfter]).toEqual([429, "RATE_LIMITED", "10"]);
    t.advance(10_000);
    expect(errorCodeOf(await phone.claim("0000000"))).toBe("CODE_NOT_FOUND");
    expect(errorCodeOf(await phone.claim("0000000"))).toBe("RATE_LIMITED");
  });
});
