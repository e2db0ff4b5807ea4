import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PaymentIssued, PaymentStateMessage } from "@codepay/contract";
import type { Effect } from "../src/core/effects.js";
import { transition } from "../src/core/payment-machine.js";
import type { PaymentEvent } from "../src/core/payment-machine.js";
import { isFinalAgentState } from "../src/core/payment.js";
import type { Payment } from "../src/core/payment.js";

const now = 1_700_000_000_000;
const amount = { minor: 1200, currency: "JPY" as const };
const create: PaymentEvent = { type: "CreateRequested", paymentId: "pay-00000001", amount, lines: [{ text: "Coffee", amountMinor: 1200 }], requestId: "req-create-1" };
const issuedMessage: PaymentIssued = { v: 1, type: "payment.issued", inReplyTo: "req-create-1", paymentId: "pay-00000001", code: "4829137", amount, expiresAt: now + 120_000, storeName: "Demo Store" };
const approvedMessage: PaymentStateMessage = { v: 1, type: "payment.state", resultId: "result-0001", paymentId: "pay-00000001", state: "approved", amount, reference: "tx-42", updatedAt: now };

const types = (effects: readonly Effect[]) => effects.map((effect) => effect.type);

function run(events: PaymentEvent[]): Payment | undefined {
  let state: Payment | undefined;
  for (const event of events) state = transition(state, event, now).state;
  return state;
}

describe("payment machine", () => {
  it("journals a new payment before publishing payment.create", () => {
    const result = transition(undefined, create, now);
    expect(result.state?.state).toBe("requested");
    expect(types(result.effects)).toEqual(["JournalWrite", "Publish", "ShowScreen", "Notify"]);
    const journal = result.effects[0] as Extract<Effect, { type: "JournalWrite" }>;
    expect(journal.outbox).toEqual([expect.objectContaining({ type: "payment.create", requestId: "req-create-1", paymentId: "pay-00000001", amount })]);
  });

  it("treats a repeated create with the same body as the same payment, and refuses a different body", () => {
    const requested = run([create]);
    const repeat = transition(requested, { ...create, requestId: "req-create-2" }, now + 1);
    expect(repeat.effects).toEqual([]);
    expect(repeat.refusal).toBeUndefined();
    expect(repeat.state).toBe(requested);
    const different = transition(requested, { ...create, amount: { minor: 1300, currency: "JPY" } }, now + 1);
    expect(different.refusal?.code).toBe("PAYMENT_EXISTS");
    expect(different.effects).toEqual([]);
  });

  it("shows the code when issued, and ignores a duplicate payment.issued", () => {
    const requested = run([create]);
    const issued = transition(requested, { type: "IssuedReceived", message: issuedMessage, requestId: "req-x" }, now + 5);
    expect(issued.state).toMatchObject({ state: "issued", code: "4829137", expiresAt: now + 120_000, updatedAt: now + 5 });
    expect(types(issued.effects)).toEqual(["JournalWrite", "ShowScreen", "Notify"]);
    expect(transition(issued.state, { type: "IssuedReceived", message: issuedMessage, requestId: "req-y" }, now + 6).effects).toEqual([]);
  });

  it("never shows a code issued for another amount: fails and withdraws the payment", () => {
    const requested = run([create]);
    const wrong = transition(requested, { type: "IssuedReceived", message: { ...issuedMessage, amount: { minor: 12, currency: "JPY" } }, requestId: "req-cancel" }, now);
    expect(wrong.state?.state).toBe("failed");
    expect(wrong.state?.code).toBeUndefined();
    expect(wrong.effects).toContainEqual({ type: "Publish", request: { v: 1, type: "payment.cancel", requestId: "req-cancel", paymentId: "pay-00000001" } });
  });

  it("stores an approved result before acknowledging it, then prints and kicks the drawer", () => {
    const issued = run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }]);
    const approved = transition(issued, { type: "StateReceived", message: approvedMessage, requestId: "req-ack-1" }, now + 10);
    expect(approved.state).toMatchObject({ state: "approved", reference: "tx-42", receiptPrinted: false });
    expect(types(approved.effects)).toEqual(["JournalWrite", "AckResult", "ShowScreen", "PrintReceipt", "KickDrawer", "Notify"]);
    expect(approved.effects[1]).toEqual({ type: "AckResult", ack: { v: 1, type: "result.ack", requestId: "req-ack-1", paymentId: "pay-00000001", resultId: "result-0001" } });
  });

  it("acknowledges a duplicate result again without printing twice", () => {
    const approved = run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }, { type: "StateReceived", message: approvedMessage, requestId: "a1" }]);
    const again = transition(approved, { type: "StateReceived", message: approvedMessage, requestId: "a2" }, now + 20);
    expect(types(again.effects)).toEqual(["AckResult"]);
    expect(again.state).toBe(approved);
  });

  it("keeps the first final state when a conflicting late result arrives", () => {
    const approved = run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }, { type: "StateReceived", message: approvedMessage, requestId: "a1" }]);
    const late = transition(approved, { type: "StateReceived", message: { ...approvedMessage, state: "expired", resultId: "result-0002" }, requestId: "a3" }, now + 30);
    expect(late.state?.state).toBe("approved");
    expect(types(late.effects)).toEqual(["AckResult", "Notify"]);
  });

  it("acknowledges a result for an unknown payment and changes nothing", () => {
    const result = transition(undefined, { type: "StateReceived", message: approvedMessage, requestId: "a1" }, now);
    expect(result.state).toBeUndefined();
    expect(types(result.effects)).toEqual(["AckResult", "Notify"]);
    expect(transition(undefined, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }, now).state).toBeUndefined();
  });

  it("holds a cancel made before the code is issued and sends it once issued", () => {
    const requested = run([create]);
    const held = transition(requested, { type: "CancelRequested", requestId: "req-cancel-1" }, now + 1);
    expect(held.state).toMatchObject({ state: "requested", cancelRequested: true });
    expect(types(held.effects)).toEqual(["JournalWrite", "Notify"]);
    const issued = transition(held.state, { type: "IssuedReceived", message: issuedMessage, requestId: "req-cancel-2" }, now + 2);
    expect(issued.effects).toContainEqual({ type: "Publish", request: { v: 1, type: "payment.cancel", requestId: "req-cancel-2", paymentId: "pay-00000001" } });
    expect(types(issued.effects)).not.toContain("ShowScreen"); // the code of a cancelled payment is never shown
    const cancelled = transition(issued.state, { type: "StateReceived", message: { ...approvedMessage, state: "cancelled", resultId: undefined, inReplyTo: "req-cancel-2" }, requestId: "x" }, now + 3);
    expect(cancelled.state?.state).toBe("cancelled");
    expect(types(cancelled.effects)).not.toContain("PrintReceipt");
  });

  it("refuses to cancel what cannot be cancelled, and a second cancel is idempotent", () => {
    expect(transition(undefined, { type: "CancelRequested", requestId: "c" }, now).refusal?.code).toBe("PAYMENT_NOT_FOUND");
    const approved = run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }, { type: "StateReceived", message: approvedMessage, requestId: "a1" }]);
    expect(transition(approved, { type: "CancelRequested", requestId: "c" }, now).refusal?.code).toBe("PAYMENT_SETTLED");
    const issued = run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }]);
    const first = transition(issued, { type: "CancelRequested", requestId: "c1" }, now);
    expect(types(first.effects)).toEqual(["JournalWrite", "Publish", "Notify"]);
    expect(transition(first.state, { type: "CancelRequested", requestId: "c2" }, now).effects).toEqual([]);
  });

  it("fails the payment when the server refuses payment.create", () => {
    const failed = transition(run([create]), { type: "RequestRefused", requestType: "payment.create", code: "CURRENCY_MISMATCH", message: "store takes EUR" }, now);
    expect(failed.state).toMatchObject({ state: "failed", reason: "CURRENCY_MISMATCH" });
    const refusedCancel = transition(run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }]), { type: "RequestRefused", requestType: "payment.cancel", code: "PAYMENT_SETTLED", message: "" }, now);
    expect(refusedCancel.state?.state).toBe("issued");
  });

  it("asks for status only for issued payments, and marks the receipt printed only once", () => {
    expect(transition(run([create]), { type: "StatusWanted", requestId: "s" }, now).effects).toEqual([]);
    const status = transition(run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }]), { type: "StatusWanted", requestId: "s1" }, now);
    expect(types(status.effects)).toEqual(["JournalWrite", "Publish"]);
    const approved = run([create, { type: "IssuedReceived", message: issuedMessage, requestId: "r" }, { type: "StateReceived", message: approvedMessage, requestId: "a1" }]);
    const printed = transition(approved, { type: "ReceiptPrinted" }, now);
    expect(printed.state?.receiptPrinted).toBe(true);
    expect(transition(printed.state, { type: "ReceiptPrinted" }, now).effects).toEqual([]);
  });

  const serverStates = ["pending", "claimed", "approved", "declined", "expired", "cancelled"] as const;
  const eventArb: fc.Arbitrary<PaymentEvent> = fc.oneof(
    fc.constant(create),
    fc.constant<PaymentEvent>({ type: "CancelRequested", requestId: "c-0000001" }),
    fc.constant<PaymentEvent>({ type: "StatusWanted", requestId: "s-0000001" }),
    fc.constant<PaymentEvent>({ type: "IssuedReceived", message: issuedMessage, requestId: "i-0000001" }),
    fc.constant<PaymentEvent>({ type: "ReceiptPrinted" }),
    fc.constantFrom(...serverStates).map<PaymentEvent>((state) => ({ type: "StateReceived", message: { ...approvedMessage, state }, requestId: "a-0000001" })),
    fc.constant<PaymentEvent>({ type: "RequestRefused", requestType: "payment.create", code: "CURRENCY_MISMATCH", message: "" }),
  );

  it("property: a final state never changes, and every Publish/AckResult comes after a JournalWrite or sends nothing new", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 12 }), (events) => {
        let state: Payment | undefined;
        for (const event of events) {
          const result = transition(state, event, now);
          if (state && isFinalAgentState(state.state)) expect(result.state?.state).toBe(state.state);
          const kinds = types(result.effects);
          const firstPublish = kinds.findIndex((kind) => kind === "Publish");
          if (firstPublish >= 0) expect(kinds.indexOf("JournalWrite")).toBeLessThan(firstPublish);
          if (result.state !== state && result.state !== undefined) expect(kinds[0]).toBe("JournalWrite");
          state = result.state;
        }
      }),
    );
  });

  it("property: every change of a payment is newer than the one before, even when the register's clock steps back or stands still", () => {
    // The cashier panel keeps the newest view of a payment it got (public/cashier/cashier.js); a view
    // older by updatedAt is taken for one that arrived late.
    const clock = fc.integer({ min: now - 3_600_000, max: now + 3_600_000 });
    fc.assert(
      fc.property(fc.array(fc.tuple(eventArb, fc.oneof(clock, fc.constant(now))), { maxLength: 14 }), (steps) => {
        let state: Payment | undefined;
        for (const [event, at] of steps) {
          const result = transition(state, event, at);
          if (state !== undefined && result.state !== undefined && result.state !== state) expect(result.state.updatedAt).toBeGreaterThan(state.updatedAt);
          state = result.state;
        }
      }),
    );
  });
});
