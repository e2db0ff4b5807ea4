/**
 * The whole server on loopback: a register over MQTT (aedes, mqtt.js), a phone over HTTP through
 * the carrier gateway, SQLite on disk. Time moves only when the test says so.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { balances, listPayments } from "../../src/index.js";
import { hasValidCheckDigit, type PaymentIssued, type ServerMessage } from "@codepay/contract";
import { errorCodeOf, PhoneClient } from "../helpers/phone-client.js";
import { newRequestId, RegisterClient } from "../helpers/register-client.js";
import { enrollPoorUser, startTestServer, type TestServer } from "../helpers/test-server.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { verify } from "../../src/index.js";

afterAll(stopPostgres);

for (const dialect of dialectsUnderTest()) {
let t: TestServer;
let register: RegisterClient;
let phone: PhoneClient;
let paymentCounter = 0;

function newPaymentId(): string {
  paymentCounter += 1;
  return `pay-${paymentCounter}-${newRequestId().slice(0, 8)}`;
}

async function issue(amountMinor: number, paymentId = newPaymentId()): Promise<PaymentIssued> {
  const reply = await register.request({ type: "payment.create", paymentId, amount: { minor: amountMinor, currency: "JPY" } });
  if (reply.type !== "payment.issued") throw new Error(`expected payment.issued, got ${JSON.stringify(reply)}`);
  return reply;
}

async function balanceOf(kind: string, ownerId: string): Promise<number> {
  const { accounts } = await balances({ dataDir: t.dataDir });
  return accounts.find((a) => a.kind === kind && a.ownerId === ownerId)?.balanceMinor ?? 0;
}

function expectLedgerWhole(totals: Record<string, number>): void {
  for (const total of Object.values(totals)) expect(total).toBe(0);
}

describe(`settlement end to end (${dialect})`, () => {
  beforeAll(async () => {
    t = await startTestServer({ codeTtlMs: 60_000, dialect });
    register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
    phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
  });

  // One open payment per register: what a test leaves open is cancelled before the next one.
  afterEach(() => register.cancelOpenPayments());

  afterAll(async () => {
    expect(register.unparsable).toEqual([]);
    expect((await verify({ dataDir: t.dataDir })).violations).toEqual([]);
    await register.close();
    await t.stop();
  });

  it("issues a code, the phone claims and approves, the register hears approved, money moves exactly once", async () => {
    const userBefore = await balanceOf("user", "demo-user");
    const storeBefore = await balanceOf("store", "demo-store");
    const issued = await issue(1_200);
    expect(issued.code).toMatch(/^\d{7}$/);
    expect(hasValidCheckDigit(issued.code)).toBe(true);
    expect(issued.storeName).toBe("Demo Store");
    expect(issued.expiresAt).toBe(t.now() + 60_000);

    const claim = await phone.claim(issued.code);
    expect(claim).toEqual({
      status: 200,
      body: { paymentId: issued.paymentId, storeName: "Demo Store", registerId: "demo-reg-1", registerName: "Register 1", amount: { minor: 1_200, currency: "JPY" }, expiresAt: issued.expiresAt },
    });

    const approvedPush = register.pushedResult(issued.paymentId, "approved");
    const approve = await phone.approve(issued.paymentId);
    expect(approve.status).toBe(200);
    expect(approve.body).toMatchObject({ paymentId: issued.paymentId, state: "approved", amount: { minor: 1_200, currency: "JPY" } });
    const pushed = await approvedPush;
    expect(pushed).toMatchObject({ type: "payment.state", state: "approved", reference: approve.body["reference"] });

    const after = await balances({ dataDir: t.dataDir });
    expect(await balanceOf("user", "demo-user")).toBe(userBefore - 1_200);
    expect(await balanceOf("store", "demo-store")).toBe(storeBefore + 1_200);
    expectLedgerWhole(after.totals);

    const second = await phone.approve(issued.paymentId);
    expect(second.status).toBe(409);
    expect(errorCodeOf(second)).toBe("PAYMENT_SETTLED");
    expect(await balanceOf("user", "demo-user")).toBe(userBefore - 1_200);

    const { payments } = await listPayments({ dataDir: t.dataDir });
    expect(payments.find((p) => p.paymentId === issued.paymentId)).toMatchObject({ state: "approved", reference: approve.body["reference"] });
  });

  it("acknowledged results stop being resent; status answers where a payment stands", async () => {
    const issued = await issue(100);
    await phone.claim(issued.code);
    const pushed = register.pushedResult(issued.paymentId, "approved");
    await phone.approve(issued.paymentId);
    const result = await pushed;
    if (result.type !== "payment.state" || result.resultId === undefined) throw new Error("expected a pushed result");
    await register.sendRaw(JSON.stringify({ v: 1, type: "result.ack", requestId: newRequestId(), paymentId: issued.paymentId, resultId: result.resultId }));
    const status = await register.request({ type: "payment.status", paymentId: issued.paymentId });
    expect(status).toMatchObject({ type: "payment.state", state: "approved", paymentId: issued.paymentId });
  });

  it("declines for insufficient funds, tells the register, moves no money", async () => {
    const poor = await enrollPoorUser(t.dataDir, 300);
    const poorPhone = new PhoneClient(t.server.gatewayUrl, poor.credential);
    const issued = await issue(500);
    expect((await poorPhone.claim(issued.code)).status).toBe(200);
    const declinedPush = register.pushedResult(issued.paymentId, "declined");
    const approve = await poorPhone.approve(issued.paymentId);
    expect(approve.status).toBe(402);
    expect(errorCodeOf(approve)).toBe("INSUFFICIENT_FUNDS");
    expect(await declinedPush).toMatchObject({ state: "declined", reason: "INSUFFICIENT_FUNDS" });
    expect(await balanceOf("user", poor.userId)).toBe(300);
    expectLedgerWhole((await balances({ dataDir: t.dataDir })).totals);
  });

  it("lets the shopper decline; the register hears declined", async () => {
    const issued = await issue(700);
    await phone.claim(issued.code);
    const declinedPush = register.pushedResult(issued.paymentId, "declined");
    expect(await phone.decline(issued.paymentId)).toEqual({ status: 200, body: { paymentId: issued.paymentId, state: "declined" } });
    expect(await declinedPush).toMatchObject({ state: "declined" });
  });

  it("refuses a code claimed by another phone", async () => {
    const poor = await enrollPoorUser(t.dataDir, 300);
    const issued = await issue(50);
    expect((await phone.claim(issued.code)).status).toBe(200);
    const other = await new PhoneClient(t.server.gatewayUrl, poor.credential).claim(issued.code);
    expect([other.status, errorCodeOf(other)]).toEqual([409, "PAYMENT_CLAIMED"]);
  });

  it("refuses an expired code with CODE_EXPIRED and tells the register", async () => {
    const issued = await issue(900);
    const expiredPush = register.pushedResult(issued.paymentId, "expired");
    t.advance(60_000);
    const claim = await phone.claim(issued.code);
    expect([claim.status, errorCodeOf(claim)]).toEqual([410, "CODE_EXPIRED"]);
    expect(await expiredPush).toMatchObject({ state: "expired", reason: "CODE_EXPIRED" });
  });

  it("the sweep expires a payment nobody touches and tells the register", async () => {
    const issued = await issue(901);
    const expiredPush = register.pushedResult(issued.paymentId, "expired");
    t.advance(60_001);
    expect(await expiredPush).toMatchObject({ state: "expired" });
    const claim = await phone.claim(issued.code);
    expect(errorCodeOf(claim)).toBe("CODE_EXPIRED");
  });

  it("cancels: the register gets the state as reply and as pushed result; the phone gets PAYMENT_CANCELLED", async () => {
    const issued = await issue(400);
    const cancelledPush = register.pushedResult(issued.paymentId, "cancelled");
    const reply = await register.request({ type: "payment.cancel", paymentId: issued.paymentId });
    expect(reply).toMatchObject({ type: "payment.state", state: "cancelled", paymentId: issued.paymentId });
    await cancelledPush;
    const claim = await phone.claim(issued.code);
    expect([claim.status, errorCodeOf(claim)]).toEqual([409, "PAYMENT_CANCELLED"]);
    // Cancelling again is not an error: the register learns the state.
    expect(await register.request({ type: "payment.cancel", paymentId: issued.paymentId })).toMatchObject({ type: "payment.state", state: "cancelled" });
  });

  it("cancelling an approved payment replies with approved and changes nothing", async () => {
    const issued = await issue(10);
    await phone.claim(issued.code);
    await phone.approve(issued.paymentId);
    expect(await register.request({ type: "payment.cancel", paymentId: issued.paymentId })).toMatchObject({ type: "payment.state", state: "approved" });
  });

  it("refuses a typo by its check digit, and an unknown code", async () => {
    const issued = await issue(20);
    const last = Number(issued.code.at(-1));
    const typo = issued.code.slice(0, -1) + String((last + 1) % 10);
    const bad = await phone.claim(typo);
    expect([bad.status, errorCodeOf(bad)]).toEqual([422, "CODE_CHECK_DIGIT"]);
    const unknown = await phone.claim("0000000"); // 000000 + Damm check digit 0: valid, but never issued here
    expect([unknown.status, errorCodeOf(unknown)]).toEqual([404, "CODE_NOT_FOUND"]);
    expect((await phone.claim(issued.code.replace(/^(\d{3})/, "$1 "))).status).toBe(200); // spaces as typed
  });

  it("answers a repeated create with the stored reply and makes one payment; a different body is IDEMPOTENCY_MISMATCH", async () => {
    const requestId = newRequestId();
    const paymentId = newPaymentId();
    const body = { type: "payment.create", requestId, paymentId, amount: { minor: 333, currency: "JPY" } };
    const first = await register.request(body);
    const again = register.nextNew((m) => m.type === "payment.issued" && m.inReplyTo === requestId);
    await register.sendRaw(JSON.stringify({ v: 1, ...body }));
    expect(await again).toEqual(first);
    const { payments } = await listPayments({ dataDir: t.dataDir, limit: 1_000 });
    expect(payments.filter((p) => p.paymentId === paymentId)).toHaveLength(1);

    const mismatch = await register.request({ ...body, amount: { minor: 334, currency: "JPY" } });
    expect(mismatch).toMatchObject({ type: "error", inReplyTo: requestId, error: { code: "IDEMPOTENCY_MISMATCH" } });
    const reused = await register.request({ ...body, requestId: newRequestId() });
    expect(reused).toMatchObject({ type: "error", error: { code: "PAYMENT_EXISTS" } });
  });

  it("answers a repeated approval with the stored reply and moves money once; a different body is IDEMPOTENCY_MISMATCH", async () => {
    const issued = await issue(250);
    const claimRequestId = newRequestId();
    const claim = await phone.claim(issued.code, claimRequestId);
    expect(await phone.claim(issued.code, claimRequestId)).toEqual(claim);
    const before = await balanceOf("user", "demo-user");
    const approveRequestId = newRequestId();
    const first = await phone.approve(issued.paymentId, approveRequestId);
    const again = await phone.approve(issued.paymentId, approveRequestId);
    expect(again).toEqual(first);
    expect(first.status).toBe(200);
    expect(await balanceOf("user", "demo-user")).toBe(before - 250);
    const mismatch = await phone.post(`/api/v1/claims`, { requestId: approveRequestId, code: issued.code });
    expect([mismatch.status, errorCodeOf(mismatch)]).toEqual([422, "IDEMPOTENCY_MISMATCH"]);
  });

  it("refuses a currency the store does not take", async () => {
    const reply = await register.request({ type: "payment.create", paymentId: newPaymentId(), amount: { minor: 100, currency: "EUR" } });
    expect(reply).toMatchObject({ type: "error", error: { code: "CURRENCY_MISMATCH" } });
  });

  it("answers malformed payloads with MALFORMED_MESSAGE and keeps working", async () => {
    const notJson = register.nextNew((m: ServerMessage) => m.type === "error" && m.inReplyTo === undefined);
    await register.sendRaw("this is not json");
    expect(await notJson).toMatchObject({ error: { code: "MALFORMED_MESSAGE" } });
    const requestId = newRequestId();
    const wrongSchema = register.next((m) => m.type === "error" && m.inReplyTo === requestId);
    await register.sendRaw(JSON.stringify({ v: 1, type: "payment.create", requestId, paymentId: "short", amount: { minor: -5, currency: "JPY" } }));
    expect(await wrongSchema).toMatchObject({ error: { code: "MALFORMED_MESSAGE" } });
    const unknownType = await register.request({ type: "payment.refund", paymentId: newPaymentId() });
    expect(unknownType).toMatchObject({ type: "error", error: { code: "MALFORMED_MESSAGE" } });
    const badVersionId = newRequestId();
    const badVersion = register.next((m) => m.type === "error" && m.inReplyTo === badVersionId);
    await register.sendRaw(JSON.stringify({ v: 2, type: "payment.status", requestId: badVersionId, paymentId: newPaymentId() }));
    expect(await badVersion).toMatchObject({ error: { code: "MALFORMED_MESSAGE" } });
    // Still serving.
    expect((await issue(1)).type).toBe("payment.issued");
  });

  it("delivers unacknowledged results to a register that reconnects", async () => {
    const issued = await issue(60);
    await phone.claim(issued.code);
    await register.close();
    const approve = await phone.approve(issued.paymentId);
    expect(approve.status).toBe(200);
    register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
    expect(await register.pushedResult(issued.paymentId, "approved")).toMatchObject({ reference: approve.body["reference"] });
  });
});
}
