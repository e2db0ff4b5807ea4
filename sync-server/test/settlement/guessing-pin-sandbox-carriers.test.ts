/**
 * Refusal paths around the shopper: guessing limits per phone and per store (growing delays,
 * lockout, Retry-After), a store's pending codes rotated after wrong guesses against it, the PIN
 * above the threshold, sandbox magic amounts, carrier key rotation. SQLite and PostgreSQL.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balances, enrollCard, enrollUser, verify } from "../../src/index.js";
import { cardToken, loadOrCreateCardKey } from "../../src/parts.js";
import { addCarrier, rotateCarrier, setUserPin } from "../../src/admin/security-commands.js";
import { loadOrCreateCarrierKey } from "../../src/carrier-gateway/carrier-keys.js";
import { newAssertionNonce, signPhoneAssertion } from "../../src/carrier-gateway/phone-assertion.js";
import { PHONE_ASSERTION_HEADER, type PaymentIssued } from "@codepay/contract";
import type { GuessPolicy } from "../../src/payments/guess-policy.js";
import { issuePayment, newPaymentId } from "../helpers/pay.js";
import { errorCodeOf, PhoneClient } from "../helpers/phone-client.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { newRequestId, RegisterClient } from "../helpers/register-client.js";
import { connectDemoStoreRegister, startTestServer, type TestServer, type TestServerOptions } from "../helpers/test-server.js";

const POLICY: GuessPolicy = { freeFailures: 2, delayMsBase: 1_000, delayMsMax: 8_000, lockoutFailures: 5, lockoutMs: 600_000, windowMs: 3_600_000, rotateAfterStoreFailures: 2 };

afterAll(stopPostgres);

interface Rig {
  t: TestServer;
  register: RegisterClient;
  phone: PhoneClient;
  stop(): Promise<void>;
}

async function rig(options: TestServerOptions): Promise<Rig> {
  const t = await startTestServer(options);
  const register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
  const phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
  return {
    t,
    register,
    phone,
    stop: async () => {
      expect((await verify({ dataDir: t.dataDir })).violations).toEqual([]);
      await register.close();
      await t.stop();
    },
  };
}

let phoneNumber = 100;
async function newPhone(t: TestServer): Promise<PhoneClient> {
  phoneNumber += 1;
  const user = await enrollUser({ dataDir: t.dataDir, userId: `guesser-${phoneNumber}`, name: "Guesser", phoneId: `+8100000${phoneNumber}` });
  return new PhoneClient(t.server.gatewayUrl, user.subscriberCredential);
}

for (const dialect of dialectsUnderTest()) {
  describe(`guessing limits (${dialect})`, () => {
    let r: Rig;
    beforeAll(async () => {
      r = await rig({ dialect, extra: { guessPolicy: POLICY } });
    });
    afterAll(() => r.stop());

    it("a phone that keeps guessing waits longer each time (Retry-After), then is locked out; typos do not count", async () => {
      const guesser = await newPhone(r.t);
      for (let i = 0; i < 3; i += 1) expect(errorCodeOf(await guesser.claim("1234564"))).toBe("CODE_CHECK_DIGIT"); // typos are free
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND");
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND");
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND"); // third failure: blocked for 1 s
      const locked = await guesser.claim("0000000");
      expect([locked.status, errorCodeOf(locked), locked.retryAfter]).toEqual([429, "PHONE_LOCKED", "1"]);
      r.t.advance(1_000);
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND"); // fourth: blocked for 2 s
      expect((await guesser.claim("0000000")).retryAfter).toBe("2");
      r.t.advance(2_000);
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND"); // fifth: locked out
      r.t.advance(8_000);
      const lockedOut = await guesser.claim("0000000");
      expect([lockedOut.status, errorCodeOf(lockedOut), Number(lockedOut.retryAfter)]).toEqual([429, "PHONE_LOCKED", 592]);
      // A locked-out phone cannot pay even a real code; other phones are not affected.
      const issued = await issuePayment(r.register, 10);
      expect(errorCodeOf(await guesser.claim(issued.code))).toBe("PHONE_LOCKED");
      expect((await r.phone.claim(issued.code)).status).toBe(200);
      await r.register.request({ type: "payment.cancel", paymentId: issued.paymentId });
    });

    it("a successful claim clears the phone's failures; a phone that never failed claims without any", async () => {
      const guesser = await newPhone(r.t);
      const first = await issuePayment(r.register, 10);
      expect((await guesser.claim(first.code)).status).toBe(200); // no counters yet: nothing to clear
      await r.register.request({ type: "payment.cancel", paymentId: first.paymentId });
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND");
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND"); // both free
      const second = await issuePayment(r.register, 10);
      expect((await guesser.claim(second.code)).status).toBe(200); // clears the two
      await r.register.request({ type: "payment.cancel", paymentId: second.paymentId });
      // Counted from zero again: two more are free (uncleared, the first would be the third and block).
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND");
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND");
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("CODE_NOT_FOUND"); // the third blocks
      expect(errorCodeOf(await guesser.claim("0000000"))).toBe("PHONE_LOCKED");
    });

    it("wrong guesses against a store rotate its pending codes (the register hears payment.issued again), then lock the store", async () => {
      // Three registers of the store, each with its one open payment.
      const [lane2, lane3] = [await connectDemoStoreRegister(r.t, "rotate-lane-2"), await connectDemoStoreRegister(r.t, "rotate-lane-3")];
      const claimed = await issuePayment(r.register, 20);
      const pending = await issuePayment(lane2, 30);
      expect((await r.phone.claim(claimed.code)).status).toBe(200);
      const intruder = await newPhone(r.t);
      const rotated = lane2.nextNew((m) => m.type === "payment.issued" && m.paymentId === pending.paymentId);
      expect(errorCodeOf(await intruder.claim(claimed.code))).toBe("PAYMENT_CLAIMED");
      expect(errorCodeOf(await intruder.claim(claimed.code))).toBe("PAYMENT_CLAIMED"); // second failure against the store: rotate
      const fresh = (await rotated) as PaymentIssued;
      expect(fresh.code).not.toBe(pending.code);
      expect(fresh).toMatchObject({ amount: { minor: 30, currency: "JPY" }, expiresAt: pending.expiresAt });
      expect(errorCodeOf(await r.phone.claim(pending.code))).toBe("CODE_NOT_FOUND");
      expect((await r.phone.claim(fresh.code)).status).toBe(200);
      // Third failure against the store: it is blocked for a while; claims of its codes get STORE_LOCKED.
      const other = await newPhone(r.t);
      expect(errorCodeOf(await other.claim(claimed.code))).toBe("PAYMENT_CLAIMED");
      const third = await issuePayment(lane3, 40);
      const storeLocked = await (await newPhone(r.t)).claim(third.code);
      expect([storeLocked.status, errorCodeOf(storeLocked), storeLocked.retryAfter]).toEqual([429, "STORE_LOCKED", "1"]);
      r.t.advance(1_000);
      expect((await r.phone.claim(third.code)).status).toBe(200);
      for (const [register, p] of [[r.register, claimed], [lane2, pending], [lane3, third]] as const) await register.request({ type: "payment.cancel", paymentId: p.paymentId });
      await lane2.close();
      await lane3.close();
    });
  });

  describe(`PIN above the threshold (${dialect})`, () => {
    let r: Rig;
    beforeAll(async () => {
      r = await rig({ dialect, extra: { pinThresholdMinor: 10_000, guessPolicy: POLICY } });
      await setUserPin({ dataDir: r.t.dataDir, userId: "demo-user", pin: "4321" });
    });
    afterAll(() => r.stop());

    it("asks for the PIN at or above the threshold, refuses a wrong one, pays with the right one; below it no PIN", async () => {
      const big = await issuePayment(r.register, 10_000);
      const claim = await r.phone.claim(big.code);
      expect(claim.body).toMatchObject({ pinRequired: true, amount: { minor: 10_000 } });
      const missing = await r.phone.approve(big.paymentId);
      expect([missing.status, errorCodeOf(missing)]).toEqual([401, "PIN_REQUIRED"]);
      const wrong = await r.phone.approve(big.paymentId, newRequestId(), "1111");
      expect([wrong.status, errorCodeOf(wrong)]).toEqual([403, "PIN_WRONG"]);
      const right = await r.phone.approve(big.paymentId, newRequestId(), "4321");
      expect([right.status, right.body["state"]]).toEqual([200, "approved"]);
      const small = await issuePayment(r.register, 9_999);
      expect((await r.phone.claim(small.code)).body["pinRequired"]).toBeUndefined();
      expect((await r.phone.approve(small.paymentId)).status).toBe(200);
    });

    it("wrong PINs count as failed guesses: the phone is held back", async () => {
      const big = await issuePayment(r.register, 20_000);
      await r.phone.claim(big.code);
      expect(errorCodeOf(await r.phone.approve(big.paymentId, newRequestId(), "0000"))).toBe("PIN_WRONG");
      expect(errorCodeOf(await r.phone.approve(big.paymentId, newRequestId(), "0001"))).toBe("PIN_WRONG");
      expect(errorCodeOf(await r.phone.approve(big.paymentId, newRequestId(), "0002"))).toBe("PIN_WRONG");
      expect(errorCodeOf(await r.phone.approve(big.paymentId, newRequestId(), "4321"))).toBe("PHONE_LOCKED");
      r.t.advance(1_000);
      expect((await r.phone.approve(big.paymentId, newRequestId(), "4321")).status).toBe(200);
    });
  });

  describe(`sandbox magic amounts (${dialect})`, () => {
    let r: Rig;
    beforeAll(async () => {
      r = await rig({ dialect, extra: { sandbox: true } });
      await enrollCard({ dataDir: r.t.dataDir, userId: "demo-user", pan: "4111111111111111" });
    });
    afterAll(() => r.stop());

    async function claimed(amountMinor: number): Promise<PaymentIssued> {
      const issued = await issuePayment(r.register, amountMinor);
      expect((await r.phone.claim(issued.code)).status).toBe(200);
      return issued;
    }

    it("4000002 declines (SANDBOX_FORCED, the register hears declined), 4000500 errors and changes nothing", async () => {
      const before = (await balances({ dataDir: r.t.dataDir })).accounts;
      const decline = await claimed(4_000_002);
      const pushed = r.register.pushedResult(decline.paymentId, "declined");
      const declined = await r.phone.approve(decline.paymentId);
      expect([declined.status, errorCodeOf(declined)]).toEqual([402, "SANDBOX_FORCED"]);
      expect(await pushed).toMatchObject({ reason: "SANDBOX_FORCED" });
      const error = await claimed(4_000_500);
      const failed = await r.phone.approve(error.paymentId);
      expect([failed.status, errorCodeOf(failed)]).toEqual([500, "INTERNAL"]);
      expect(await r.register.request({ type: "payment.status", paymentId: error.paymentId })).toMatchObject({ state: "claimed" });
      expect((await balances({ dataDir: r.t.dataDir })).accounts).toEqual(before);
      await r.register.request({ type: "payment.cancel", paymentId: error.paymentId });
    });

    it("4000408 never answers: the approval times out and the payment expires", async () => {
      const timeout = await claimed(4_000_408);
      const timedOut = await r.phone.approve(timeout.paymentId);
      expect([timedOut.status, errorCodeOf(timedOut)]).toEqual([504, "SERVER_TIMEOUT"]);
      const expired = r.register.pushedResult(timeout.paymentId, "expired");
      r.t.advance(60_000);
      expect(await expired).toMatchObject({ state: "expired" });
    });

    it("card payments: 4000002 declined, 4000408 no reply at all, ordinary amounts pay", async () => {
      const token = cardToken(loadOrCreateCardKey(r.t.dataDir), "4111111111111111");
      const card = (minor: number, paymentId = newPaymentId("card")) => ({ type: "payment.card", paymentId, amount: { minor, currency: "JPY" }, card: { token, last4: "1111", expiry: "3012" } });
      expect(await r.register.request(card(4_000_002))).toMatchObject({ state: "declined", reason: "SANDBOX_FORCED", tender: "card" });
      const silentId = newRequestId();
      const silentPayment = newPaymentId("card");
      await r.register.sendRaw(JSON.stringify({ v: 1, requestId: silentId, ...card(4_000_408, silentPayment) }));
      // Requests of one register are handled in order: the status reply proves the card request was handled.
      expect(await r.register.request({ type: "payment.status", paymentId: silentPayment })).toMatchObject({ error: { code: "PAYMENT_NOT_FOUND" } });
      expect(r.register.received.some((m) => "inReplyTo" in m && m.inReplyTo === silentId)).toBe(false);
      expect(await r.register.request(card(1_200))).toMatchObject({ state: "approved" });
    });
  });

  describe(`carrier keys (${dialect})`, () => {
    let r: Rig;
    beforeAll(async () => {
      r = await rig({ dialect });
    });
    afterAll(() => r.stop());

    async function direct(carrier: string, phoneId: string, key: KeyObject): Promise<number> {
      const assertion = signPhoneAssertion({ carrier, phoneId, iat: r.t.now(), nonce: newAssertionNonce() }, key);
      const response = await fetch(new URL("/api/v1/claims", r.t.server.shopperApiUrl), {
        method: "POST",
        headers: { "content-type": "application/json", [PHONE_ASSERTION_HEADER]: assertion },
        body: JSON.stringify({ requestId: newRequestId(), code: "0000000" }),
      });
      return response.status;
    }

    it("several carriers; a rotated key is used at once while the old one is still accepted until retired", async () => {
      const added = await addCarrier({ dataDir: r.t.dataDir, carrierId: "second-carrier" });
      expect(added.trustedKeyIds).toEqual([added.currentKeyId]);
      const user = await enrollUser({ dataDir: r.t.dataDir, userId: "carol", name: "Carol", phoneId: "+819011112222", carrier: "second-carrier" });
      const carol = new PhoneClient(r.t.server.gatewayUrl, user.subscriberCredential);
      expect(errorCodeOf(await carol.claim("0000000"))).toBe("CODE_NOT_FOUND"); // through the gateway: accepted
      const oldKey = loadOrCreateCarrierKey(r.t.dataDir, "second-carrier").privateKey;

      const rotated = await rotateCarrier({ dataDir: r.t.dataDir, carrierId: "second-carrier", retireOld: false });
      expect(rotated.currentKeyId).not.toBe(added.currentKeyId);
      expect(rotated.trustedKeyIds).toEqual([added.currentKeyId, rotated.currentKeyId]);
      expect(await direct("second-carrier", "+819011112222", oldKey)).toBe(404); // old key: still accepted
      expect(errorCodeOf(await carol.claim("0000000"))).toBe("CODE_NOT_FOUND"); // gateway signs with the new key

      const retired = await rotateCarrier({ dataDir: r.t.dataDir, carrierId: "second-carrier", retireOld: true });
      expect([retired.retired, retired.trustedKeyIds]).toEqual([1, [rotated.currentKeyId]]);
      expect(await direct("second-carrier", "+819011112222", oldKey)).toBe(401); // retired key: refused
      expect(await direct("second-carrier", "+819011112222", generateKeyPairSync("ed25519").privateKey)).toBe(401); // unknown key
      expect(errorCodeOf(await carol.claim("0000000"))).toBe("CODE_NOT_FOUND");
      // The other carrier never noticed.
      expect(errorCodeOf(await r.phone.claim("0000000"))).toBe("CODE_NOT_FOUND");
    });
  });
}
