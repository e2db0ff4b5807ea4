/** The payment machine's settlement-core events: rotated code, void, refunds (pure: state in, effects out). */
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "@codepay/contract";
import { transition } from "../src/core/payment-machine.js";
import type { Payment } from "../src/core/payment.js";

const base: Payment = {
  paymentId: "pay-00000001",
  state: "issued",
  amount: { minor: 1_000, currency: "JPY" },
  lines: [],
  createRequestId: "req-00000001",
  code: "1234567",
  expiresAt: 100_000,
  receiptPrinted: false,
  cancelRequested: false,
  refunds: [],
  createdAt: 1,
  updatedAt: 1,
};

const types = (effects: readonly { type: string }[]) => effects.map((e) => e.type);

describe("payment machine: settlement core", () => {
  it("shows a rotated code (a fresh payment.issued for an issued payment), ignores a plain duplicate", () => {
    const issued = { v: PROTOCOL_VERSION, type: "payment.issued", inReplyTo: "req-00000002", paymentId: base.paymentId, code: "7654321", amount: base.amount, expiresAt: 100_000, storeName: "S" } as const;
    const rotated = transition(base, { type: "IssuedReceived", message: issued, requestId: "req-00000003" }, 5);
    expect(rotated.state).toMatchObject({ state: "issued", code: "7654321", codeRenewed: true });
    expect(types(rotated.effects)).toEqual(["JournalWrite", "ShowScreen", "Notify"]);
    expect(transition(rotated.state, { type: "IssuedReceived", message: issued, requestId: "req-00000004" }, 6).effects).toEqual([]);
    const otherAmount = transition(base, { type: "IssuedReceived", message: { ...issued, amount: { minor: 999, currency: "JPY" } }, requestId: "req-00000005" }, 7);
    expect(otherAmount.state?.code).toBe("1234567");
  });

  it("voids only an approved payment, once; the server's voided state ends it", () => {
    expect(transition(base, { type: "VoidRequested", requestId: "void-0000001" }, 2).refusal?.code).toBe("VOID_NOT_ALLOWED");
    const approved: Payment = { ...base, state: "approved" };
    const sent = transition(approved, { type: "VoidRequested", requestId: "void-0000001" }, 2);
    expect(types(sent.effects)).toEqual(["JournalWrite", "Publish", "Notify"]);
    expect(sent.effects[1]).toMatchObject({ request: { type: "payment.void", requestId: "void-0000001", paymentId: base.paymentId } });
    expect(transition(sent.state, { type: "VoidRequested", requestId: "void-0000002" }, 3).effects).toEqual([]);
    const state = { v: PROTOCOL_VERSION, type: "payment.state", inReplyTo: "void-0000001", paymentId: base.paymentId, state: "voided", amount: base.amount, updatedAt: 4 } as const;
    expect(transition(sent.state, { type: "StateReceived", message: state, requestId: "ack-0000001" }, 4).state).toMatchObject({ state: "voided", voidRequestId: undefined });
  });

  it("refunds: sent once per refund id, a different amount under the same id is refused, results and refusals recorded", () => {
    const approved: Payment = { ...base, state: "approved" };
    const sent = transition(approved, { type: "RefundRequested", refundId: "refund-0001", amountMinor: 300, requestId: "req-refund-1" }, 2);
    expect(sent.effects[1]).toMatchObject({ request: { type: "refund.create", refundId: "refund-0001", amount: { minor: 300, currency: "JPY" } } });
    expect(transition(sent.state, { type: "RefundRequested", refundId: "refund-0001", amountMinor: 300, requestId: "req-refund-2" }, 3).effects).toEqual([]);
    expect(transition(sent.state, { type: "RefundRequested", refundId: "refund-0001", amountMinor: 301, requestId: "req-refund-3" }, 3).refusal?.code).toBe("IDEMPOTENCY_MISMATCH");
    const done = transition(sent.state, { type: "RefundResultReceived", message: { v: PROTOCOL_VERSION, type: "refund.result", inReplyTo: "req-refund-1", refundId: "refund-0001", paymentId: base.paymentId, amount: { minor: 300, currency: "JPY" }, reversedTotalMinor: 300, reference: "t-1", updatedAt: 4 } }, 4);
    expect(done.state?.refunds).toEqual([{ refundId: "refund-0001", amountMinor: 300, state: "done", requestId: "req-refund-1", reason: undefined, reference: "t-1", doneAt: 4 }]);
    const second = transition(done.state, { type: "RefundRequested", refundId: "refund-0002", amountMinor: 800, requestId: "req-refund-4" }, 5);
    const refused = transition(second.state, { type: "RequestRefused", requestType: "refund.create", code: "REFUND_EXCEEDS_ORIGINAL", message: "no", requestId: "req-refund-4" }, 6);
    expect(refused.state?.refunds[1]).toMatchObject({ refundId: "refund-0002", state: "refused", reason: "REFUND_EXCEEDS_ORIGINAL" });
  });

  it("a confirmed refund or void prints its slip once, with the cashier's reason, and shows on the display (issue 17)", () => {
    const approved: Payment = { ...base, state: "approved" };
    const sent = transition(approved, { type: "RefundRequested", refundId: "refund-0001", amountMinor: 300, requestId: "req-refund-1", note: "damaged box" }, 2);
    expect(sent.state?.refunds[0]).toMatchObject({ note: "damaged box" });
    const result = { v: PROTOCOL_VERSION, type: "refund.result", inReplyTo: "req-refund-1", refundId: "refund-0001", paymentId: base.paymentId, amount: { minor: 300, currency: "JPY" }, reversedTotalMinor: 300, reference: "t-1", updatedAt: 4 } as const;
    const done = transition(sent.state, { type: "RefundResultReceived", message: result }, 4);
    expect(types(done.effects)).toEqual(["JournalWrite", "PrintSlip", "ShowScreen", "Notify"]);
    expect(done.effects[1]).toEqual({ type: "PrintSlip", slip: { kind: "refund", paymentId: base.paymentId, original: base.amount, amountMinor: 300, refundId: "refund-0001", reference: "t-1", note: "damaged box" } });
    // The same result again (a resend): nothing, no second slip.
    expect(transition(done.state, { type: "RefundResultReceived", message: result }, 5).effects).toEqual([]);

    const voiding = transition(done.state, { type: "VoidRequested", requestId: "void-0000001", note: "wrong item" }, 6);
    expect(voiding.state).toMatchObject({ voidRequestId: "void-0000001", voidNote: "wrong item" });
    const state = { v: PROTOCOL_VERSION, type: "payment.state", inReplyTo: "void-0000001", paymentId: base.paymentId, state: "voided", amount: base.amount, updatedAt: 7 } as const;
    const voided = transition(voiding.state, { type: "StateReceived", message: state, requestId: "ack-0000001" }, 7);
    // The void moves what the refund left: 1,000 - 300.
    expect(voided.effects.find((e) => e.type === "PrintSlip")).toEqual({ type: "PrintSlip", slip: { kind: "void", paymentId: base.paymentId, original: base.amount, amountMinor: 700, note: "wrong item" } });
    expect(types(voided.effects)).toContain("ShowScreen");
  });
});
