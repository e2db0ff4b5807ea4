/**
 * Issue 17, item 1, on the server: a register has one open payment at a time. A second payment.create
 * while one is open is refused (PAYMENT_IN_PROGRESS, naming it) and changes nothing; the open one's
 * code still pays. A create that names the open one in `replaces` cancels it in the same transaction
 * (the register hears it cancelled; its code no longer pays) and is issued. An open payment whose time
 * is up does not block: it is expired there and then. Other registers are not affected. SQLite and
 * PostgreSQL, over real MQTT and the carrier gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verify } from "../../src/index.js";
import { issuePayment, newPaymentId } from "../helpers/pay.js";
import { PhoneClient } from "../helpers/phone-client.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { RegisterClient } from "../helpers/register-client.js";
import { enrollSecondRegister, startTestServer, type TestServer } from "../helpers/test-server.js";

const CODE_TTL_MS = 60_000;

afterAll(stopPostgres);

for (const dialect of dialectsUnderTest()) {
  describe(`one open payment per register (${dialect})`, () => {
    let t: TestServer;
    let register: RegisterClient;
    let other: RegisterClient;
    let phone: PhoneClient;

    beforeAll(async () => {
      // No sweep: a payment past its time stays pending until a create finds it.
      t = await startTestServer({ dialect, codeTtlMs: CODE_TTL_MS, sweepIntervalMs: 3_600_000 });
      const second = await enrollSecondRegister(t.dataDir);
      register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      other = await RegisterClient.connect(t.server.mqttUrl, second.storeId, second.registerId, second.password);
      phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
    });

    afterAll(async () => {
      expect((await verify({ dataDir: t.dataDir })).violations).toEqual([]);
      expect(register.unparsable).toEqual([]);
      await register.close();
      await other.close();
      await t.stop();
    });

    it("a second create while one is open is refused, naming the open one; the open code still pays", async () => {
      const first = await issuePayment(register, 300);
      const second = newPaymentId("second");
      const refused = await register.request({ type: "payment.create", paymentId: second, amount: { minor: 400, currency: "JPY" } });
      expect(refused).toMatchObject({ type: "error", error: { code: "PAYMENT_IN_PROGRESS" } });
      expect(JSON.stringify(refused)).toContain(first.paymentId);
      // Nothing of the refused payment was kept: the register may use the id again later.
      expect(await register.request({ type: "payment.status", paymentId: second })).toMatchObject({ type: "error", error: { code: "PAYMENT_NOT_FOUND" } });
      // Another register is free all the same.
      const elsewhere = await issuePayment(other, 500);
      expect((await phone.claim(first.code)).status).toBe(200);
      const approved = register.pushedResult(first.paymentId, "approved");
      expect((await phone.approve(first.paymentId)).status).toBe(200);
      await approved;
      // The approved payment no longer holds the register.
      const next = await issuePayment(register, 400, second);
      expect(next.paymentId).toBe(second);
      await register.request({ type: "payment.cancel", paymentId: second });
      await other.request({ type: "payment.cancel", paymentId: elsewhere.paymentId });
    });

    it("a claimed payment holds the register too", async () => {
      const first = await issuePayment(register, 250);
      expect((await phone.claim(first.code)).status).toBe(200);
      const refused = await register.request({ type: "payment.create", paymentId: newPaymentId("while-claimed"), amount: { minor: 260, currency: "JPY" } });
      expect(refused).toMatchObject({ type: "error", error: { code: "PAYMENT_IN_PROGRESS" } });
      expect((await phone.decline(first.paymentId)).status).toBe(200);
      await issuePayment(register, 260).then((p) => register.request({ type: "payment.cancel", paymentId: p.paymentId }));
    });

    it("a create naming the open one in replaces cancels it first: the register hears it cancelled and its code no longer pays", async () => {
      const first = await issuePayment(register, 700);
      const cancelled = register.pushedResult(first.paymentId, "cancelled");
      const replacing = newPaymentId("replacing");
      const issued = await register.request({ type: "payment.create", paymentId: replacing, amount: { minor: 800, currency: "JPY" }, replaces: [first.paymentId, newPaymentId("never-made")] });
      expect(issued).toMatchObject({ type: "payment.issued", paymentId: replacing, amount: { minor: 800 } });
      expect(await cancelled).toMatchObject({ state: "cancelled" });
      expect(await register.request({ type: "payment.status", paymentId: first.paymentId })).toMatchObject({ state: "cancelled" });
      expect((await phone.claim(first.code)).status).not.toBe(200);
      await register.request({ type: "payment.cancel", paymentId: replacing });
    });

    it("an open payment whose time is up does not block: the create expires it and is issued", async () => {
      const stale = await issuePayment(register, 900);
      t.advance(CODE_TTL_MS + 1);
      const expired = register.pushedResult(stale.paymentId, "expired");
      const fresh = await issuePayment(register, 950);
      expect(fresh.amount.minor).toBe(950);
      expect(await expired).toMatchObject({ state: "expired" });
      await register.request({ type: "payment.cancel", paymentId: fresh.paymentId });
    });

    it("replaces with a malformed or oversize list is refused as a bad request", async () => {
      const tooMany = Array.from({ length: 9 }, (_, i) => newPaymentId(`r${i}`));
      const answer = await register.request({ type: "payment.create", paymentId: newPaymentId("bad-replaces"), amount: { minor: 100, currency: "JPY" }, replaces: tooMany });
      expect(answer).toMatchObject({ type: "error" });
      expect((answer as { error: { code: string } }).error.code).not.toBe("PAYMENT_IN_PROGRESS");
    });
  });
}
