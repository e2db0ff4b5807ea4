import { describe, expect, it } from "vitest";
import type { PaymentStateMessage } from "@codepay/contract";
import type { Effect } from "../src/core/effects.js";
import { transition } from "../src/core/payment-machine.js";
import type { PaymentEvent } from "../src/core/payment-machine.js";
import type { Payment } from "../src/core/payment.js";
import { renderScreen } from "../src/core/screens.js";

const now = 1_700_000_000_000;
const amount = { minor: 1200, currency: "JPY" as const };
const createCard: PaymentEvent = { type: "CreateRequested", paymentId: "pay-card-0001", amount, lines: [], requestId: "req-create-1", tender: "card" };
const card = { token: "a".repeat(64), last4: "1111", expiry: "3012" };
const swipe: PaymentEvent = { type: "CardSwiped", card, requestId: "req-card-1" };
const approved: PaymentStateMessage = { v: 1, type: "payment.state", resultId: "result-0001", paymentId: "pay-card-0001", state: "approved", amount, reference: "tx-7", updatedAt: now, tender: "card", cardLast4: "1111" };

const types = (effects: readonly Effect[]) => effects.map((effect) => effect.type);

function run(events: PaymentEvent[]): Payment | undefined {
  let state: Payment | undefined;
  for (const event of events) state = transition(state, event, now).state;
  return state;
}

describe("payment machine, card tender", () => {
  it("journals a card payment as awaiting-card, sends nothing, and asks for a swipe", () => {
    const result = transition(undefined, createCard, now);
    expect(result.state).toMatchObject({ state: "awaiting-card", tender: "card" });
    expect(types(result.effects)).toEqual(["JournalWrite", "ShowScreen", "Notify"]);
    expect((result.effects[0] as Extract<Effect, { type: "JournalWrite" }>).outbox).toEqual([]);
    expect(renderScreen({ storeName: "Demo Store", linkUp: true, payment: result.state }, now)).toEqual(["TOTAL       JPY 1200", "PLEASE SWIPE CARD   "]);
  });

  it("a repeated create is the same payment; a code create with the same id is refused", () => {
    const waiting = run([createCard]);
    expect(transition(waiting, { ...createCard, requestId: "req-create-2" }, now).effects).toEqual([]);
    expect(transition(waiting, { ...createCard, tender: undefined }, now).refusal?.code).toBe("PAYMENT_EXISTS");
  });

  it("journals payment.card (keyed hash, last 4, expiry; never a PAN) before publishing it", () => {
    const sent = transition(run([createCard]), swipe, now + 10);
    expect(sent.state).toMatchObject({ state: "requested", cardLast4: "1111", createRequestId: "req-card-1" });
    expect(types(sent.effects)).toEqual(["JournalWrite", "Publish", "ShowScreen", "Notify"]);
    const request = { v: 1, type: "payment.card", requestId: "req-card-1", paymentId: "pay-card-0001", amount, card };
    expect((sent.effects[0] as Extract<Effect, { type: "JournalWrite" }>).outbox).toEqual([request]);
    expect(sent.effects[1]).toEqual({ type: "Publish", request });
    // A second swipe while the first is with the server does nothing.
    expect(transition(sent.state, { ...swipe, requestId: "req-card-2" }, now + 20).effects).toEqual([]);
  });

  it("a bad swipe shows its error and keeps waiting; the next good swipe pays", () => {
    const bad = transition(run([createCard]), { type: "CardSwipeFailed", code: "CARD_LUHN" }, now + 5);
    expect(bad.state).toMatchObject({ state: "awaiting-card", cardError: "CARD_LUHN" });
    expect(types(bad.effects)).toEqual(["JournalWrite", "ShowScreen", "Notify"]);
    expect(renderScreen({ storeName: "Demo Store", linkUp: true, payment: bad.state }, now + 5)[1]).toBe("PLEASE SWIPE AGAIN  "); // words for the shopper; the code stays in the panel;
    const good = transition(bad.state, swipe, now + 6);
    expect(good.state?.state).toBe("requested");
    expect(good.state?.cardError).toBeUndefined();
  });

  it("approved: prints the receipt with the card's last 4 and kicks the drawer", () => {
    const result = transition(run([createCard, swipe]), { type: "StateReceived", message: approved, requestId: "req-ack" }, now + 30);
    expect(result.state).toMatchObject({ state: "approved", cardLast4: "1111", reference: "tx-7" });
    expect(types(result.effects)).toEqual(["JournalWrite", "AckResult", "ShowScreen", "PrintReceipt", "KickDrawer", "Notify"]);
  });

  it("declined with the reason; a refused payment.card fails the payment", () => {
    const declined = transition(run([createCard, swipe]), { type: "StateReceived", message: { ...approved, state: "declined", reason: "CARD_UNKNOWN", reference: undefined }, requestId: "r" }, now);
    expect(declined.state).toMatchObject({ state: "declined", reason: "CARD_UNKNOWN" });
    expect(types(declined.effects)).not.toContain("PrintReceipt");
    const refused = transition(run([createCard, swipe]), { type: "RequestRefused", requestType: "payment.card", code: "INTERNAL", message: "boom", requestId: "req-card-1" }, now);
    expect(refused.state).toMatchObject({ state: "failed", reason: "INTERNAL" });
  });

  it("cancel before the swipe ends the payment locally; a swipe after it is ignored", () => {
    const cancelled = transition(run([createCard]), { type: "CancelRequested", requestId: "req-cancel" }, now + 1);
    expect(cancelled.state?.state).toBe("cancelled");
    expect(types(cancelled.effects)).toEqual(["JournalWrite", "ShowScreen", "Notify"]);
    expect(transition(cancelled.state, swipe, now + 2).effects).toEqual([]);
    // Once payment.card is with the server, the cashier cannot cancel it.
    expect(transition(run([createCard, swipe]), { type: "CancelRequested", requestId: "req-cancel" }, now).refusal?.code).toBe("PAYMENT_SETTLED");
  });
});
