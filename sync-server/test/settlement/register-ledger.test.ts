/**
 * Card payments, voids, refunds and X/Z reports over the real dedicated line, on SQLite and on
 * PostgreSQL. Every refusal path has its test; `admin verify` passes after each describe block.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { balances, enrollCard, verify } from "../../src/index.js";
import { cardToken, loadOrCreateCardKey } from "../../src/parts.js";
import type { Report, ServerMessage } from "@codepay/contract";
import { payWithCode, newPaymentId } from "../helpers/pay.js";
import { PhoneClient } from "../helpers/phone-client.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { newRequestId, RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { openDatabase } from "../../src/db/database.js";

const VISA = "4111111111111111";

afterAll(stopPostgres);

for (const dialect of dialectsUnderTest()) {
  describe(`register ledger requests (${dialect})`, () => {
    let t: TestServer;
    let register: RegisterClient;
    let phone: PhoneClient;

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
      await enrollCard({ dataDir: t.dataDir, userId: "demo-user", pan: VISA });
    });

    // One open payment per register: what a test leaves open is cancelled before the next one.
    afterEach(() => register.cancelOpenPayments());

    afterAll(async () => {
      const report = await verify({ dataDir: t.dataDir });
      expect(report.violations).toEqual([]);
      expect(register.unparsable).toEqual([]);
      await register.close();
      await t.stop();
    });

    async function userBalance(): Promise<number> {
      const { accounts } = await balances({ dataDir: t.dataDir });
      return accounts.find((a) => a.kind === "user" && a.ownerId === "demo-user")?.balanceMinor ?? 0;
    }

    function refund(paymentId: string, amountMinor: number, refundId = newRequestId()): Promise<ServerMessage> {
      return register.request({ type: "refund.create", paymentId, refundId, amount: { minor: amountMinor, currency: "JPY" } });
    }

    function card(amountMinor: number, pan = VISA, expiry = "3012"): Promise<ServerMessage> {
      const token = cardToken(loadOrCreateCardKey(t.dataDir), pan);
      return register.request({ type: "payment.card", paymentId: newPaymentId("card"), amount: { minor: amountMinor, currency: "JPY" }, card: { token, last4: pan.slice(-4), expiry } });
    }

    it("voids an approved payment: the money goes back, state voided; voiding again answers voided", async () => {
      const before = await userBalance();
      const paid = await payWithCode(register, phone, 1_000);
      expect(await userBalance()).toBe(before - 1_000);
      const voided = await register.request({ type: "payment.void", paymentId: paid.paymentId });
      expect(voided).toMatchObject({ type: "payment.state", state: "voided", paymentId: paid.paymentId });
      expect(await userBalance()).toBe(before);
      expect(await register.request({ type: "payment.void", paymentId: paid.paymentId })).toMatchObject({ state: "voided" });
      expect(await userBalance()).toBe(before);
      expect(await refund(paid.paymentId, 1)).toMatchObject({ type: "error", error: { code: "REFUND_EXCEEDS_ORIGINAL" } });
    });

    it("refunds partially and repeatedly; a refund id is one refund; never beyond the original", async () => {
      const before = await userBalance();
      const paid = await payWithCode(register, phone, 1_000);
      const refundId = newRequestId();
      const first = await refund(paid.paymentId, 300, refundId);
      expect(first).toMatchObject({ type: "refund.result", refundId, amount: { minor: 300 }, reversedTotalMinor: 300 });
      // Same refund id under a new requestId: the same refund, no second movement.
      expect(await refund(paid.paymentId, 300, refundId)).toMatchObject({ type: "refund.result", refundId, reference: (first as { reference: string }).reference });
      expect(await refund(paid.paymentId, 301, refundId)).toMatchObject({ type: "error", error: { code: "IDEMPOTENCY_MISMATCH" } });
      expect(await refund(paid.paymentId, 600)).toMatchObject({ type: "refund.result", reversedTotalMinor: 900 });
      expect(await refund(paid.paymentId, 101)).toMatchObject({ type: "error", error: { code: "REFUND_EXCEEDS_ORIGINAL" } });
      expect(await userBalance()).toBe(before - 100);
      // A void takes what is left.
      expect(await register.request({ type: "payment.void", paymentId: paid.paymentId })).toMatchObject({ state: "voided" });
      expect(await userBalance()).toBe(before);
    });

    it("refuses to reverse what was never approved, or a payment of another register", async () => {
      const issued = await register.request({ type: "payment.create", paymentId: newPaymentId(), amount: { minor: 50, currency: "JPY" } });
      const paymentId = (issued as { paymentId: string }).paymentId;
      expect(await register.request({ type: "payment.void", paymentId })).toMatchObject({ type: "error", error: { code: "VOID_NOT_ALLOWED" } });
      expect(await refund(paymentId, 10)).toMatchObject({ type: "error", error: { code: "VOID_NOT_ALLOWED" } });
      expect(await register.request({ type: "payment.void", paymentId: newPaymentId() })).toMatchObject({ type: "error", error: { code: "PAYMENT_NOT_FOUND" } });
    });

    it("pays by card through the same ledger path; unknown and expired cards are declined", async () => {
      const before = await userBalance();
      const approved = await card(700);
      expect(approved).toMatchObject({ type: "payment.state", state: "approved", tender: "card", cardLast4: "1111" });
      expect(await userBalance()).toBe(before - 700);
      expect(await card(700, "5555555555554444")).toMatchObject({ state: "declined", reason: "CARD_UNKNOWN", tender: "card" });
      expect(await card(700, VISA, "2001")).toMatchObject({ state: "declined", reason: "CARD_EXPIRED" });
      expect(await card(10_000_000)).toMatchObject({ state: "declined", reason: "INSUFFICIENT_FUNDS" });
      expect(await userBalance()).toBe(before - 700);
    });

    it("the database itself refuses UPDATE and DELETE of transfers, reversals and audit entries, and a user overdraft", async () => {
      const db = await openDatabase(t.dataDir);
      try {
        await expect(db.updateTable("transfers").set({ amount_minor: 1 }).execute()).rejects.toThrow(/append-only table transfers/);
        await expect(db.deleteFrom("reversals").execute()).rejects.toThrow(/append-only table reversals/);
        await expect(db.updateTable("audit_log").set({ hash: "x" }).execute()).rejects.toThrow(/append-only table audit_log/);
        await expect(db.updateTable("accounts").set({ balance_minor: -1 }).where("kind", "=", "user").execute()).rejects.toThrow(/below zero/);
      } finally {
        await db.destroy();
      }
    });

    it("X shows running totals; Z closes the period, a repeated Z is the same report, a closed period takes no voids", async () => {
      const paid = await payWithCode(register, phone, 2_000);
      const x = (await register.request({ type: "report.request", kind: "x" })) as Report;
      expect(x).toMatchObject({ type: "report", kind: "x", registerId: t.demo.registerId, periodNumber: 1 });
      const code = x.totals.find((row) => row.tender === "code" && row.currency === "JPY");
      const cardRow = x.totals.find((row) => row.tender === "card");
      // From the tests above: code payments 1000 (voided), 1000 (refunded 900, voided 100), 2000; card 700.
      expect(code).toEqual({ currency: "JPY", tender: "code", payments: { count: 3, minor: 4_000 }, voids: { count: 2, minor: 1_100 }, refunds: { count: 2, minor: 900 }, netMinor: 2_000 });
      expect(cardRow).toMatchObject({ payments: { count: 1, minor: 700 }, netMinor: 700 });

      const zRequestId = newRequestId();
      const z = (await register.request({ type: "report.request", requestId: zRequestId, kind: "z" })) as Report;
      expect(z).toMatchObject({ kind: "z", periodNumber: 1, closedAt: t.now(), totals: x.totals });
      const again = await register.request({ type: "report.request", requestId: zRequestId, kind: "z" });
      expect(again).toEqual(z);
      expect(await register.request({ type: "payment.void", paymentId: paid.paymentId })).toMatchObject({ type: "error", error: { code: "PERIOD_CLOSED" } });
      // Refunds stay possible after the Z; they count in the new period.
      expect(await refund(paid.paymentId, 500)).toMatchObject({ type: "refund.result" });
      const nextX = (await register.request({ type: "report.request", kind: "x" })) as Report;
      expect(nextX).toMatchObject({ periodNumber: 2, totals: [{ tender: "code", payments: { count: 0, minor: 0 }, refunds: { count: 1, minor: 500 }, netMinor: -500 }] });
    });
  });
}
