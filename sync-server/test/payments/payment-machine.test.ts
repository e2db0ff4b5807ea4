import { describe, expect, it } from "vitest";
import { reverse, startCardPayment, transition, type PaymentSnapshot, type SettledPayment } from "../../src/payments/payment-machine.js";

const EXPIRES_AT = 10_000;
const pending: PaymentSnapshot = { state: "pending", expiresAt: EXPIRES_AT, claimedByPhone: null, reason: null };
const claimedByA: PaymentSnapshot = { ...pending, state: "claimed", claimedByPhone: "+A" };

describe("payment machine", () => {
  it("claims a pending payment for the phone, with no effects", () => {
    expect(transition(pending, { type: "claim", phoneId: "+A", now: 1 })).toEqual({ ok: true, payment: claimedByA, effects: [] });
  });

  it("lets the same phone claim again and refuses another phone", () => {
    expect(transition(claimedByA, { type: "claim", phoneId: "+A", now: 1 })).toMatchObject({ ok: true, payment: claimedByA });
    expect(transition(claimedByA, { type: "claim", phoneId: "+B", now: 1 })).toMatchObject({ ok: false, code: "PAYMENT_CLAIMED" });
  });

  it("approves a claimed payment: settle and push the result", () => {
    const result = transition(claimedByA, { type: "approve", phoneId: "+A", now: 2 });
    expect(result).toEqual({ ok: true, payment: { ...claimedByA, state: "approved", reason: null }, effects: [{ type: "settle" }, { type: "push-result" }] });
  });

  it("refuses approval of an unclaimed payment and by another phone", () => {
    expect(transition(pending, { type: "approve", phoneId: "+A", now: 2 })).toMatchObject({ ok: false, code: "PAYMENT_NOT_FOUND" });
    expect(transition(claimedByA, { type: "approve", phoneId: "+B", now: 2 })).toMatchObject({ ok: false, code: "PAYMENT_CLAIMED" });
  });

  it("declines with the given reason and pushes the result, no settlement", () => {
    const result = transition(claimedByA, { type: "decline", phoneId: "+A", now: 2, reason: "INSUFFICIENT_FUNDS" });
    expect(result).toEqual({ ok: true, payment: { ...claimedByA, state: "declined", reason: "INSUFFICIENT_FUNDS" }, effects: [{ type: "push-result" }] });
  });

  it("cancels open payments", () => {
    for (const open of [pending, claimedByA]) {
      expect(transition(open, { type: "cancel", now: 3 })).toEqual({
        ok: true,
        payment: { ...open, state: "cancelled", reason: "PAYMENT_CANCELLED" },
        effects: [{ type: "push-result" }],
      });
    }
  });

  it("expires on tick at expiresAt, and not before", () => {
    expect(transition(pending, { type: "tick", now: EXPIRES_AT - 1 })).toEqual({ ok: true, payment: pending, effects: [] });
    expect(transition(claimedByA, { type: "tick", now: EXPIRES_AT })).toEqual({
      ok: true,
      payment: { ...claimedByA, state: "expired", reason: "CODE_EXPIRED" },
      effects: [{ type: "push-result" }],
    });
  });

  it("refuses every event past expiry with CODE_EXPIRED even before a tick", () => {
    for (const event of [
      { type: "claim", phoneId: "+A", now: EXPIRES_AT },
      { type: "approve", phoneId: "+A", now: EXPIRES_AT + 1 },
      { type: "cancel", now: EXPIRES_AT },
    ] as const) {
      expect(transition(claimedByA, event)).toMatchObject({ ok: false, code: "CODE_EXPIRED" });
    }
  });

  it("refuses to move final payments, naming why", () => {
    const final = (state: PaymentSnapshot["state"]): PaymentSnapshot => ({ ...claimedByA, state });
    expect(transition(final("approved"), { type: "approve", phoneId: "+A", now: 1 })).toMatchObject({ ok: false, code: "PAYMENT_SETTLED" });
    expect(transition(final("declined"), { type: "cancel", now: 1 })).toMatchObject({ ok: false, code: "PAYMENT_SETTLED" });
    expect(transition(final("cancelled"), { type: "claim", phoneId: "+A", now: 1 })).toMatchObject({ ok: false, code: "PAYMENT_CANCELLED" });
    expect(transition(final("expired"), { type: "approve", phoneId: "+A", now: 1 })).toMatchObject({ ok: false, code: "CODE_EXPIRED" });
    expect(transition(final("approved"), { type: "tick", now: EXPIRES_AT + 1 })).toEqual({ ok: true, payment: final("approved"), effects: [] });
  });
});

describe("payment machine: refunds, voids and card payments", () => {
  const approved: SettledPayment = { state: "approved", amountMinor: 1_000, reversedMinor: 0, inOpenPeriod: true };

  it("refunds part of what is left and stays approved; a void takes all that is left and ends voided", () => {
    expect(reverse(approved, { type: "refund", amountMinor: 300 })).toEqual({ ok: true, state: "approved", amountMinor: 300, reversedMinor: 300, effects: [{ type: "post-reversal" }] });
    const refunded = { ...approved, reversedMinor: 300 };
    expect(reverse(refunded, { type: "refund", amountMinor: 700 })).toMatchObject({ ok: true, state: "approved", reversedMinor: 1_000 });
    expect(reverse(refunded, { type: "void" })).toEqual({ ok: true, state: "voided", amountMinor: 700, reversedMinor: 1_000, effects: [{ type: "post-reversal" }] });
  });

  it("never gives back more than the payment", () => {
    expect(reverse(approved, { type: "refund", amountMinor: 1_001 })).toMatchObject({ ok: false, code: "REFUND_EXCEEDS_ORIGINAL" });
    expect(reverse({ ...approved, reversedMinor: 900 }, { type: "refund", amountMinor: 101 })).toMatchObject({ ok: false, code: "REFUND_EXCEEDS_ORIGINAL" });
    expect(reverse({ ...approved, reversedMinor: 1_000 }, { type: "void" })).toMatchObject({ ok: false, code: "REFUND_EXCEEDS_ORIGINAL" });
    expect(reverse({ ...approved, state: "voided", reversedMinor: 1_000 }, { type: "refund", amountMinor: 1 })).toMatchObject({ ok: false, code: "REFUND_EXCEEDS_ORIGINAL" });
  });

  it("voids only in the payment's open period, and reverses only approved payments", () => {
    expect(reverse({ ...approved, inOpenPeriod: false }, { type: "void" })).toMatchObject({ ok: false, code: "PERIOD_CLOSED" });
    expect(reverse({ ...approved, inOpenPeriod: false }, { type: "refund", amountMinor: 10 })).toMatchObject({ ok: true, state: "approved" });
    for (const state of ["pending", "claimed", "declined", "expired", "cancelled"] as const) {
      expect(reverse({ ...approved, state }, { type: "void" })).toMatchObject({ ok: false, code: "VOID_NOT_ALLOWED" });
      expect(reverse({ ...approved, state }, { type: "refund", amountMinor: 1 })).toMatchObject({ ok: false, code: "VOID_NOT_ALLOWED" });
    }
  });

  it("starts a card payment final: approved settles, declined keeps its reason and moves nothing", () => {
    expect(startCardPayment({ type: "card-approve" })).toEqual({ state: "approved", effects: [{ type: "settle" }] });
    expect(startCardPayment({ type: "card-decline", reason: "CARD_EXPIRED" })).toEqual({ state: "declined", reason: "CARD_EXPIRED", effects: [] });
  });
});
