/**
 * The shopper wallet end to end (contract/src/wallet.ts): a register over MQTT sends receipt lines
 * with its create, a phone pays through the carrier gateway, then reads its balance, its history in
 * pages and the receipt, all through the gateway with its subscriber credential. Another user's
 * phone sees none of it. SQLite, and PostgreSQL when installed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PHONE_ASSERTION_HEADER, WalletHistoryPageSchema, WalletReceiptSchema, WalletResponseSchema, shortReference, type PaymentIssued } from "@codepay/contract";
import { errorCodeOf, PhoneClient, type HttpReply } from "../helpers/phone-client.js";
import { newPaymentId } from "../helpers/pay.js";
import { RegisterClient } from "../helpers/register-client.js";
import { enrollPoorUser, startTestServer, type TestServer } from "../helpers/test-server.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";

afterAll(stopPostgres);

async function get(baseUrl: string, path: string, headers: Record<string, string>): Promise<HttpReply> {
  const response = await fetch(new URL(path, baseUrl), { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const LINES = [
  { text: "Green tea", amountMinor: 180 },
  { text: "Rice ball x2", amountMinor: 320 },
  { text: "Thank you for shopping" },
];

for (const dialect of dialectsUnderTest()) {
  describe(`shopper wallet end to end (${dialect})`, () => {
    let t: TestServer;
    let register: RegisterClient;
    let phone: PhoneClient;
    let credential: string;
    let poorCredential: string;
    const asPhone = (path: string, bearer = credential) => get(t.server.gatewayUrl, path, { authorization: `Bearer ${bearer}` });

    async function issue(amountMinor: number, lines?: readonly object[]): Promise<PaymentIssued> {
      const reply = await register.request({ type: "payment.create", paymentId: newPaymentId("wallet"), amount: { minor: amountMinor, currency: "JPY" }, ...(lines !== undefined ? { lines } : {}) });
      if (reply.type !== "payment.issued") throw new Error(`expected payment.issued, got ${JSON.stringify(reply)}`);
      return reply;
    }

    async function pay(amountMinor: number, lines?: readonly object[]): Promise<{ paymentId: string; reference: string }> {
      const issued = await issue(amountMinor, lines);
      expect((await phone.claim(issued.code)).status).toBe(200);
      const approve = await phone.approve(issued.paymentId);
      expect(approve.status).toBe(200);
      return { paymentId: issued.paymentId, reference: String(approve.body["reference"]) };
    }

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      credential = t.demo.subscriberCredential;
      phone = new PhoneClient(t.server.gatewayUrl, credential);
      poorCredential = (await enrollPoorUser(t.dataDir, 300)).credential;
    });

    afterAll(async () => {
      await register?.close();
      await t?.stop();
    });

    it("shows the balance per currency, and it moves with a payment", async () => {
      const before = await asPhone("/api/v1/wallet");
      expect(before.status).toBe(200);
      const wallet = WalletResponseSchema.parse(before.body);
      const yenBefore = wallet.balances.find((balance) => balance.currency === "JPY")?.minor ?? 0;
      expect(yenBefore).toBeGreaterThan(500);
      await pay(500, LINES);
      const after = WalletResponseSchema.parse((await asPhone("/api/v1/wallet")).body);
      expect(after.balances).toContainEqual({ currency: "JPY", minor: yenBefore - 500 });
    });

    it("keeps the register's receipt lines with the payment and gives them back as the digital receipt", async () => {
      t.advance(1_000);
      const { paymentId, reference } = await pay(500, LINES);
      const reply = await asPhone(`/api/v1/wallet/payments/${paymentId}`);
      expect(reply.status).toBe(200);
      const receipt = WalletReceiptSchema.parse(reply.body);
      expect(receipt).toMatchObject({
        paymentId,
        storeId: t.demo.storeId,
        storeName: "Demo Store",
        registerId: t.demo.registerId,
        registerName: "Register 1",
        amount: { minor: 500, currency: "JPY" },
        state: "approved",
        reference,
        shortReference: shortReference(reference),
        approvedAt: t.now(),
        createdAt: t.now(),
        tender: "code",
        refunds: [],
        refundedMinor: 0,
      });
      expect(receipt.lines).toEqual(LINES);
      expect(receipt.shortReference).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    });

    it("lists payments newest first with their refunds, in pages that neither skip nor repeat", async () => {
      t.advance(1_000);
      const refunded = await pay(400);
      t.advance(1_000);
      const refund = await register.request({ type: "refund.create", paymentId: refunded.paymentId, refundId: "wallet-refund-1", amount: { minor: 150, currency: "JPY" } });
      expect(refund.type).toBe("refund.result");
      t.advance(1_000);
      const declined = await issue(700);
      await phone.claim(declined.code);
      expect((await phone.decline(declined.paymentId)).status).toBe(200);

      const first = await asPhone("/api/v1/wallet/payments?limit=2");
      expect(first.status).toBe(200);
      const page1 = WalletHistoryPageSchema.parse(first.body);
      expect(page1.payments.map((payment) => [payment.paymentId, payment.state])).toEqual([
        [declined.paymentId, "declined"],
        [refunded.paymentId, "approved"],
      ]);
      expect(page1.payments[0]).not.toHaveProperty("reference");
      expect(page1.payments[1]).toMatchObject({ refundedMinor: 150, refunds: [{ kind: "refund", amount: { minor: 150, currency: "JPY" }, at: t.now() - 1_000 }] });
      expect(page1.next).toBeDefined();

      // Four payments in this wallet so far (two of 500 in the tests above): the second page is the last.
      const second = WalletHistoryPageSchema.parse((await asPhone(`/api/v1/wallet/payments?limit=2&before=${page1.next}`)).body);
      expect(second.payments.map((payment) => payment.amount.minor)).toEqual([500, 500]);
      expect(second.next).toBeUndefined();
      const all = WalletHistoryPageSchema.parse((await asPhone("/api/v1/wallet/payments")).body);
      expect(all.payments.map((payment) => payment.paymentId)).toEqual([...page1.payments, ...second.payments].map((payment) => payment.paymentId));
      const times = all.payments.map((payment) => payment.createdAt);
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it("shows a phone only its own user's payments: another user's history is empty and their receipt is not found", async () => {
      const mine = WalletHistoryPageSchema.parse((await asPhone("/api/v1/wallet/payments")).body);
      const someone = mine.payments[0]!.paymentId;
      const theirs = WalletHistoryPageSchema.parse((await asPhone("/api/v1/wallet/payments", poorCredential)).body);
      expect(theirs.payments).toEqual([]);
      const receipt = await asPhone(`/api/v1/wallet/payments/${someone}`, poorCredential);
      expect([receipt.status, errorCodeOf(receipt)]).toEqual([404, "PAYMENT_NOT_FOUND"]);
      const missing = await asPhone("/api/v1/wallet/payments/no-such-payment-1");
      expect([missing.status, errorCodeOf(missing)]).toEqual([404, "PAYMENT_NOT_FOUND"]);
      expect(WalletResponseSchema.parse((await asPhone("/api/v1/wallet", poorCredential)).body).balances).toEqual([{ currency: "JPY", minor: 300 }]);
    });

    it("refuses without a credential at the gateway, and without an assertion at the shopper API", async () => {
      for (const path of ["/api/v1/wallet", "/api/v1/wallet/payments", "/api/v1/wallet/payments/some-payment-1"]) {
        const noCredential = await get(t.server.gatewayUrl, path, {});
        expect([noCredential.status, errorCodeOf(noCredential)]).toEqual([401, "SUBSCRIBER_UNKNOWN"]);
        const wrongCredential = await asPhone(path, "x".repeat(32));
        expect([wrongCredential.status, errorCodeOf(wrongCredential)]).toEqual([401, "SUBSCRIBER_UNKNOWN"]);
        const direct = await get(t.server.shopperApiUrl, path, {});
        expect([direct.status, errorCodeOf(direct)]).toEqual([401, "ASSERTION_MISSING"]);
        const forged = await get(t.server.shopperApiUrl, path, { [PHONE_ASSERTION_HEADER]: "not-an-assertion" });
        expect(errorCodeOf(forged)).toBe("ASSERTION_INVALID");
      }
    });

    it("answers a bad query in the documented error shape and the server keeps answering", async () => {
      for (const query of ["limit=0", "limit=51", "limit=two", "before=not!a!cursor", `before=${Buffer.from("123.x").toString("base64url")}`, "sort=asc"]) {
        const reply = await asPhone(`/api/v1/wallet/payments?${query}`);
        expect(reply.status, query).toBe(400);
        expect(reply.body).toEqual({ error: { code: "BAD_REQUEST", message: expect.any(String) } });
      }
      const badId = await asPhone("/api/v1/wallet/payments/x");
      expect([badId.status, errorCodeOf(badId)]).toEqual([400, "BAD_REQUEST"]);
      expect((await asPhone("/api/v1/wallet")).status).toBe(200);
    });
  });
}
