/**
 * One open payment per register (issue 17, item 1): the server refuses a payment.create while another
 * payment of the register is open unless the create names it in `replaces`. The agent names there every
 * payment it has asked to cancel, or whose time is up by its clock, that it has not yet seen end; a
 * payment that ended is never named, and a fresh register names nothing. A real journal file; the
 * link is a recorder (what would be published).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, type RegisterRequest } from "@codepay/contract";
import { Journal } from "../src/journal/journal.js";
import { PaymentRuntime } from "../src/shell/payment-runtime.js";
import { captureLogger } from "./helpers/capture-logger.js";

const JPY = (minor: number) => ({ minor, currency: "JPY" as const });

let dir: string;
let journal: Journal;
let runtime: PaymentRuntime;
let now: number;
let sent: RegisterRequest[];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "codepay-replaces-"));
  journal = Journal.open(path.join(dir, "journal.sqlite"));
  now = 1_800_000_000_000;
  sent = [];
  runtime = new PaymentRuntime({
    journal,
    link: { isUp: true, requestTopic: "codepay/v1/s/r/up", publish: async (request: RegisterRequest) => void sent.push(request) },
    clock: { now: () => now },
    logger: captureLogger().logger,
    storeName: "Test Store",
    registerId: "reg-1",
    onScreenChange: () => undefined,
  });
});

afterEach(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

function createOf(paymentId: string): Extract<RegisterRequest, { type: "payment.create" }> {
  const request = sent.find((r): r is Extract<RegisterRequest, { type: "payment.create" }> => r.type === "payment.create" && r.paymentId === paymentId);
  if (request === undefined) throw new Error(`no payment.create for ${paymentId}`);
  return request;
}

function issue(paymentId: string, minor: number, expiresAt: number): void {
  const create = createOf(paymentId);
  runtime.handleServerMessage({ v: PROTOCOL_VERSION, type: "payment.issued", inReplyTo: create.requestId, paymentId, code: "1234567", amount: JPY(minor), expiresAt, storeName: "Test Store" });
}

describe("payment.create names the payments it replaces", () => {
  it("a fresh register names nothing", async () => {
    expect((await runtime.createPayment({ paymentId: "pay-first-1", amount: JPY(300), lines: [] })).ok).toBe(true);
    expect(createOf("pay-first-1")).not.toHaveProperty("replaces");
  });

  it("replace: true names the open payment it cancels, whether it has its code yet or not", async () => {
    await runtime.createPayment({ paymentId: "pay-aaaa-1", amount: JPY(300), lines: [] });
    issue("pay-aaaa-1", 300, now + 120_000);
    const refused = await runtime.createPayment({ paymentId: "pay-bbbb-1", amount: JPY(400), lines: [] });
    expect(refused).toMatchObject({ ok: false, refusal: { code: "PAYMENT_IN_PROGRESS" } });
    expect(sent.some((r) => r.type === "payment.create" && r.paymentId === "pay-bbbb-1")).toBe(false);

    expect((await runtime.createPayment({ paymentId: "pay-bbbb-1", amount: JPY(400), lines: [], replace: true })).ok).toBe(true);
    // The cancel went out first (the payment had its code), then the create naming it.
    const order = sent.map((r) => `${r.type}:${"paymentId" in r ? r.paymentId : ""}`);
    expect(order.indexOf("payment.cancel:pay-aaaa-1")).toBeLessThan(order.indexOf("payment.create:pay-bbbb-1"));
    expect(createOf("pay-bbbb-1").replaces).toEqual(["pay-aaaa-1"]);

    // B has no code yet: its cancel is held, and C still names it (and A, not yet seen cancelled).
    expect((await runtime.createPayment({ paymentId: "pay-cccc-1", amount: JPY(500), lines: [], replace: true })).ok).toBe(true);
    expect(sent.some((r) => r.type === "payment.cancel" && r.paymentId === "pay-bbbb-1")).toBe(false);
    expect(createOf("pay-cccc-1").replaces).toEqual(["pay-bbbb-1", "pay-aaaa-1"]);
  });

  it("a payment seen to end is no longer named; one whose time is up by the agent's clock is", async () => {
    await runtime.createPayment({ paymentId: "pay-aaaa-2", amount: JPY(300), lines: [] });
    issue("pay-aaaa-2", 300, now + 120_000);
    await runtime.createPayment({ paymentId: "pay-bbbb-2", amount: JPY(400), lines: [], replace: true });
    const cancel = sent.find((r) => r.type === "payment.cancel" && r.paymentId === "pay-aaaa-2")!;
    runtime.handleServerMessage({ v: PROTOCOL_VERSION, type: "payment.state", inReplyTo: cancel.requestId, paymentId: "pay-aaaa-2", state: "cancelled", amount: JPY(300), updatedAt: now });
    issue("pay-bbbb-2", 400, now + 120_000);
    now += 120_001; // B's time is up here; the server may not have expired it yet
    expect((await runtime.createPayment({ paymentId: "pay-cccc-2", amount: JPY(500), lines: [] })).ok).toBe(true);
    expect(createOf("pay-cccc-2").replaces).toEqual(["pay-bbbb-2"]);
  });

  it("a late answer about a payment the cashier moved past never covers the newer one's code", async () => {
    await runtime.createPayment({ paymentId: "pay-old-001", amount: JPY(300), lines: [] });
    now += 1_000;
    await runtime.createPayment({ paymentId: "pay-new-001", amount: JPY(400), lines: [], replace: true });
    issue("pay-new-001", 400, now + 120_000);
    expect(runtime.currentPayment).toMatchObject({ paymentId: "pay-new-001", state: "issued" });
    // The old create, resent after the new one was issued, is refused by the server: the old payment fails quietly.
    runtime.handleServerMessage({ v: PROTOCOL_VERSION, type: "error", inReplyTo: createOf("pay-old-001").requestId, error: { code: "PAYMENT_IN_PROGRESS", message: "payment pay-new-001 is still open on this register" } });
    expect(runtime.getPayment("pay-old-001")?.state).toBe("failed");
    expect(runtime.currentPayment).toMatchObject({ paymentId: "pay-new-001", state: "issued" });
    // Once the newer one has ended, the screen follows whatever happens next.
    runtime.handleServerMessage({ v: PROTOCOL_VERSION, type: "payment.state", resultId: "result-new-1", paymentId: "pay-new-001", state: "cancelled", amount: JPY(400), updatedAt: now });
    expect(runtime.currentPayment).toMatchObject({ paymentId: "pay-new-001", state: "cancelled" });
  });

  it("the server's PAYMENT_IN_PROGRESS fails the new payment with the server's words", async () => {
    await runtime.createPayment({ paymentId: "pay-late-01", amount: JPY(300), lines: [] });
    const create = createOf("pay-late-01");
    runtime.handleServerMessage({ v: PROTOCOL_VERSION, type: "error", inReplyTo: create.requestId, error: { code: "PAYMENT_IN_PROGRESS", message: "payment pay-other-1 is still open on this register" } });
    expect(runtime.getPayment("pay-late-01")).toMatchObject({ state: "failed", reason: "PAYMENT_IN_PROGRESS" });
  });
});
