/**
 * Issue 18, item 7: payment ids are scoped per register. A register that sends an id another register
 * already uses is issued its own payment, as for any fresh id, so the answer reveals nothing about
 * other registers; every later request, pushed result and acknowledgement names the register's own
 * payment, on SQLite and on PostgreSQL. The phone is given the server's name for the payment, which is
 * the register's id unless another payment holds it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollCard, verify } from "../../src/index.js";
import { cardToken, loadOrCreateCardKey } from "../../src/parts.js";
import { openDatabase } from "../../src/db/database.js";
import type { ServerMessage } from "@codepay/contract";
import { issuePayment, newPaymentId } from "../helpers/pay.js";
import { PhoneClient } from "../helpers/phone-client.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { newRequestId, RegisterClient } from "../helpers/register-client.js";
import { enrollSecondRegister, startTestServer, type TestServer } from "../helpers/test-server.js";

const VISA = "4111111111111111";

afterAll(stopPostgres);

for (const dialect of dialectsUnderTest()) {
  describe(`payment ids per register (${dialect})`, () => {
    let t: TestServer;
    let registerA: RegisterClient;
    let registerB: RegisterClient;
    let phone: PhoneClient;

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      const second = await enrollSecondRegister(t.dataDir);
      registerA = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      registerB = await RegisterClient.connect(t.server.mqttUrl, second.storeId, second.registerId, second.password);
      phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
      await enrollCard({ dataDir: t.dataDir, userId: "demo-user", pan: VISA });
    });

    afterAll(async () => {
      const report = await verify({ dataDir: t.dataDir });
      expect(report.violations).toEqual([]);
      expect(registerA.unparsable).toEqual([]);
      expect(registerB.unparsable).toEqual([]);
      await registerA.close();
      await registerB.close();
      await t.stop();
    });

    async function resultAcked(resultId: string): Promise<boolean> {
      const db = await openDatabase(t.dataDir);
      try {
        const row = await db.selectFrom("outbox").select("acked_at").where("result_id", "=", resultId).executeTakeFirstOrThrow();
        return row.acked_at !== null;
      } finally {
        await db.destroy();
      }
    }

    it("a fresh id is the payment's name for the phone too", async () => {
      const issued = await issuePayment(registerA, 120);
      const claim = await phone.claim(issued.code);
      expect(claim.status).toBe(200);
      expect(claim.body["paymentId"]).toBe(issued.paymentId);
      expect((await phone.decline(issued.paymentId)).status).toBe(200);
    });

    it("another register's id: issued all the same, and every request after names the register's own payment", async () => {
      const shared = newPaymentId("shared");
      const issuedB = await issuePayment(registerB, 100, shared);
      const issuedA = await issuePayment(registerA, 200, shared);
      expect(issuedA).toMatchObject({ type: "payment.issued", paymentId: shared, amount: { minor: 200 } });
      expect(issuedA.code).not.toBe(issuedB.code);

      // Each register's status is its own payment.
      expect(await registerA.request({ type: "payment.status", paymentId: shared })).toMatchObject({ type: "payment.state", paymentId: shared, state: "pending", amount: { minor: 200 } });
      expect(await registerB.request({ type: "payment.status", paymentId: shared })).toMatchObject({ type: "payment.state", paymentId: shared, state: "pending", amount: { minor: 100 } });

      // The phone pays A's payment under the server's name for it (B holds the register's id).
      const claim = await phone.claim(issuedA.code);
      expect(claim.status).toBe(200);
      expect(claim.body).toMatchObject({ registerId: t.demo.registerId, amount: { minor: 200 } });
      const serverName = String(claim.body["paymentId"]);
      expect(serverName).not.toBe(shared);
      const pushed = registerA.pushedResult(shared, "approved");
      expect((await phone.approve(serverName)).status).toBe(200);
      const result = (await pushed) as Extract<ServerMessage, { type: "payment.state" }>;
      expect(result).toMatchObject({ paymentId: shared, state: "approved", amount: { minor: 200 } });

      // A acknowledges in its own words; the result stops being resent.
      expect(await resultAcked(String(result.resultId))).toBe(false);
      await registerA.sendRaw(JSON.stringify({ v: 1, type: "result.ack", requestId: newRequestId(), paymentId: shared, resultId: result.resultId }));
      await expect.poll(() => resultAcked(String(result.resultId)), { timeout: 5_000 }).toBe(true);

      // Refund and void reach A's payment and answer in A's id; B's payment is untouched.
      expect(await registerA.request({ type: "refund.create", paymentId: shared, refundId: newRequestId(), amount: { minor: 50, currency: "JPY" } })).toMatchObject({ type: "refund.result", paymentId: shared, reversedTotalMinor: 50 });
      expect(await registerA.request({ type: "payment.void", paymentId: shared })).toMatchObject({ type: "payment.state", paymentId: shared, state: "voided" });
      expect(await registerB.request({ type: "payment.status", paymentId: shared })).toMatchObject({ state: "pending", amount: { minor: 100 } });
      expect(await registerB.request({ type: "payment.cancel", paymentId: shared })).toMatchObject({ type: "payment.state", paymentId: shared, state: "cancelled", amount: { minor: 100 } });
      expect(await registerA.request({ type: "payment.status", paymentId: shared })).toMatchObject({ state: "voided", amount: { minor: 200 } });

      // Its own id again (a new request): that one is refused, as before.
      expect(await registerA.request({ type: "payment.create", paymentId: shared, amount: { minor: 200, currency: "JPY" } })).toMatchObject({ type: "error", error: { code: "PAYMENT_EXISTS" } });
    });

    it("a card payment under another register's id is the register's own, too", async () => {
      const shared = newPaymentId("shared-card");
      await issuePayment(registerB, 300, shared);
      const token = cardToken(loadOrCreateCardKey(t.dataDir), VISA);
      const paid = await registerA.request({ type: "payment.card", paymentId: shared, amount: { minor: 400, currency: "JPY" }, card: { token, last4: "1111", expiry: "3012" } });
      expect(paid).toMatchObject({ type: "payment.state", paymentId: shared, state: "approved", tender: "card", amount: { minor: 400 } });
      expect(await registerA.request({ type: "payment.void", paymentId: shared })).toMatchObject({ paymentId: shared, state: "voided", amount: { minor: 400 } });
      expect(await registerB.request({ type: "payment.status", paymentId: shared })).toMatchObject({ state: "pending", amount: { minor: 300 } });
      const again = await registerA.request({ type: "payment.card", paymentId: shared, amount: { minor: 400, currency: "JPY" }, card: { token, last4: "1111", expiry: "3012" } });
      expect(again).toMatchObject({ type: "error", error: { code: "PAYMENT_EXISTS" } });
    });
  });
}
