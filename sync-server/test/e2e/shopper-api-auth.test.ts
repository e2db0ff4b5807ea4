/** The shopper API trusts nothing but a fresh, correctly signed carrier assertion. Real HTTP. */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateCarrierKey } from "../../src/carrier-gateway/carrier-keys.js";
import { newAssertionNonce, signPhoneAssertion } from "../../src/carrier-gateway/phone-assertion.js";
import { PHONE_ASSERTION_HEADER, type PhoneAssertion } from "@codepay/contract";
import { errorCodeOf, PhoneClient, type HttpReply } from "../helpers/phone-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t.stop();
});

async function postToShopperApi(path: string, body: unknown, assertion?: string): Promise<HttpReply> {
  const response = await fetch(new URL(path, t.server.shopperApiUrl), {
    method: "POST",
    headers: { "content-type": "application/json", ...(assertion !== undefined ? { [PHONE_ASSERTION_HEADER]: assertion } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function assertion(overrides: Partial<PhoneAssertion> = {}): PhoneAssertion {
  return { carrier: "demo-carrier", phoneId: t.demo.phoneId, iat: t.now(), nonce: newAssertionNonce(), ...overrides };
}

function signedByCarrier(claims: PhoneAssertion): string {
  return signPhoneAssertion(claims, loadOrCreateCarrierKey(t.dataDir, "demo-carrier").privateKey);
}

const claimBody = { requestId: "claim-request-0001", code: "0000000" };

describe("shopper API phone authentication", () => {
  it("lets a correctly signed, fresh assertion through (to the claim itself)", async () => {
    const reply = await postToShopperApi("/api/v1/claims", claimBody, signedByCarrier(assertion()));
    expect([reply.status, errorCodeOf(reply)]).toEqual([404, "CODE_NOT_FOUND"]);
  });

  it("refuses a request without an assertion", async () => {
    const reply = await postToShopperApi("/api/v1/claims", claimBody);
    expect([reply.status, errorCodeOf(reply)]).toEqual([401, "ASSERTION_MISSING"]);
  });

  it("refuses a forged signature, a garbled header and an unknown carrier", async () => {
    const forger = generateKeyPairSync("ed25519").privateKey;
    const forged = await postToShopperApi("/api/v1/claims", claimBody, signPhoneAssertion(assertion(), forger));
    expect([forged.status, errorCodeOf(forged)]).toEqual([401, "ASSERTION_INVALID"]);
    const garbled = await postToShopperApi("/api/v1/claims", claimBody, "not-an-assertion");
    expect(errorCodeOf(garbled)).toBe("ASSERTION_INVALID");
    const unknownCarrier = await postToShopperApi("/api/v1/claims", claimBody, signPhoneAssertion(assertion({ carrier: "rogue-carrier" }), forger));
    expect(errorCodeOf(unknownCarrier)).toBe("ASSERTION_INVALID");
    // A valid signature over different bytes: swap in another payload.
    const [, signature] = signedByCarrier(assertion()).split(".");
    const tampered = `${Buffer.from(JSON.stringify(assertion({ phoneId: "+819999999999" }))).toString("base64url")}.${signature}`;
    expect(errorCodeOf(await postToShopperApi("/api/v1/claims", claimBody, tampered))).toBe("ASSERTION_INVALID");
  });

  it("refuses an assertion older than 60 s or from the future", async () => {
    const old = await postToShopperApi("/api/v1/claims", claimBody, signedByCarrier(assertion({ iat: t.now() - 60_001 })));
    expect([old.status, errorCodeOf(old)]).toEqual([401, "ASSERTION_EXPIRED"]);
    const future = await postToShopperApi("/api/v1/claims", claimBody, signedByCarrier(assertion({ iat: t.now() + 30_000 })));
    expect(errorCodeOf(future)).toBe("ASSERTION_EXPIRED");
  });

  it("refuses a replayed assertion", async () => {
    const header = signedByCarrier(assertion());
    expect(errorCodeOf(await postToShopperApi("/api/v1/claims", claimBody, header))).toBe("CODE_NOT_FOUND");
    const replay = await postToShopperApi("/api/v1/claims", claimBody, header);
    expect([replay.status, errorCodeOf(replay)]).toEqual([401, "ASSERTION_REPLAYED"]);
  });

  it("refuses a phone no user enrolled", async () => {
    const reply = await postToShopperApi("/api/v1/claims", claimBody, signedByCarrier(assertion({ phoneId: "+819999999999" })));
    expect([reply.status, errorCodeOf(reply)]).toEqual([403, "PHONE_UNKNOWN"]);
  });

  it("answers bad bodies with 400 BAD_REQUEST and unknown routes with 404 NOT_FOUND", async () => {
    const bad = await postToShopperApi("/api/v1/claims", { code: 12 }, signedByCarrier(assertion()));
    expect([bad.status, errorCodeOf(bad)]).toEqual([400, "BAD_REQUEST"]);
    const missing = await postToShopperApi("/api/v1/nothing-here", {}, signedByCarrier(assertion()));
    expect([missing.status, errorCodeOf(missing)]).toEqual([404, "NOT_FOUND"]);
  });
});

describe("carrier gateway", () => {
  it("refuses an unknown subscriber credential with 401 SUBSCRIBER_UNKNOWN", async () => {
    const stranger = new PhoneClient(t.server.gatewayUrl, "x".repeat(43));
    const reply = await stranger.claim("0000000");
    expect([reply.status, errorCodeOf(reply)]).toEqual([401, "SUBSCRIBER_UNKNOWN"]);
    const noHeader = await fetch(new URL("/api/v1/claims", t.server.gatewayUrl), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(noHeader.status).toBe(401);
  });

  it("forwards a known phone's request with a fresh assertion each time, and passes upstream errors through", async () => {
    const phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
    expect(errorCodeOf(await phone.claim("0000000"))).toBe("CODE_NOT_FOUND");
    expect(errorCodeOf(await phone.claim("0000000"))).toBe("CODE_NOT_FOUND"); // not ASSERTION_REPLAYED
    const badBody = await phone.post("/api/v1/claims", { nope: true });
    expect([badBody.status, errorCodeOf(badBody)]).toEqual([400, "BAD_REQUEST"]);
  });
});
