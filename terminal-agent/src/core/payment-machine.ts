/**
 * The payment machine: one payment, pure. `transition(state, event, now)` returns the next state and
 * the effects to run, as data (STYLE.md section 3). No I/O, no clock, no random ids: the shell passes
 * `now` and a fresh `requestId` in every event that may need to send something.
 *
 *   requested --issued--> issued --state(final)--> approved | declined | expired | cancelled
 *   requested --error---> failed            (the server refused payment.create)
 *   approved --void (server: state voided)--> voided
 *   approved: refunds are records of their own on the payment (requested -> done | refused)
 *
 * Card tender:
 *   awaiting-card --CardSwiped--> requested (payment.card journaled and sent) --state(final)--> ...
 *   awaiting-card --CardSwipeFailed--> awaiting-card (the error shown; still waiting)
 *   awaiting-card --CancelRequested--> cancelled (locally: the server never heard of it)
 *
 * The server is the authority on a payment's outcome: the agent never expires a code by itself.
 */
import { PROTOCOL_VERSION, isFinalPaymentState } from "@codepay/contract";
import type { ErrorCode, Money, PaymentIssued, PaymentStateMessage, RefundResult, RegisterRequest, ResultAck } from "@codepay/contract";
import type { Effect } from "./effects.js";
import { isFinalAgentState } from "./payment.js";
import type { AgentPaymentState, Payment, ReceiptLine, Refund } from "./payment.js";

export type PaymentEvent =
  /** `replaces`: earlier payments of this register it has asked to cancel (or whose time is up) but not seen end; the server cancels them before issuing this one. */
  | { readonly type: "CreateRequested"; readonly paymentId: string; readonly amount: Money; readonly lines: readonly ReceiptLine[]; readonly requestId: string; readonly tender?: "code" | "card" | undefined; readonly replaces?: readonly string[] | undefined }
  /** A good swipe for a payment awaiting a card: never the PAN, only the keyed hash and the last 4. */
  | { readonly type: "CardSwiped"; readonly card: { readonly token: string; readonly last4: string; readonly expiry: string }; readonly requestId: string }
  /** A bad swipe (stable error code) while awaiting a card. */
  | { readonly type: "CardSwipeFailed"; readonly code: string }
  | { readonly type: "CancelRequested"; readonly requestId: string }
  /** After a restart: ask the server where an issued payment stands. */
  | { readonly type: "StatusWanted"; readonly requestId: string }
  | { readonly type: "IssuedReceived"; readonly message: PaymentIssued; readonly requestId: string }
  | { readonly type: "StateReceived"; readonly message: PaymentStateMessage; readonly requestId: string }
  /** The server answered one of this payment's requests with `error`. */
  | { readonly type: "RequestRefused"; readonly requestType: RegisterRequest["type"]; readonly code: ErrorCode; readonly message: string; readonly requestId?: string }
  /** The cashier voids an approved payment (before the register's period closes). */
  | { readonly type: "VoidRequested"; readonly requestId: string; readonly note?: string | undefined }
  /** The cashier refunds part or all of an approved payment. */
  | { readonly type: "RefundRequested"; readonly refundId: string; readonly amountMinor: number; readonly requestId: string; readonly note?: string | undefined }
  | { readonly type: "RefundResultReceived"; readonly message: RefundResult }
  | { readonly type: "ReceiptPrinted" };

export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface Transition {
  readonly state: Payment | undefined;
  readonly effects: readonly Effect[];
  /** Set when the event asked for something the payment cannot do; state and effects are then unchanged/empty. */
  readonly refusal?: Refusal;
}

const unchanged = (state: Payment | undefined, ...effects: Effect[]): Transition => ({ state, effects });
const refused = (state: Payment | undefined, code: ErrorCode, message: string): Transition => ({ state, effects: [], refusal: { code, message } });

export function transition(state: Payment | undefined, event: PaymentEvent, now: number): Transition {
  switch (event.type) {
    case "CreateRequested":
      return onCreate(state, event, now);
    case "CardSwiped":
      return onCardSwiped(state, event, now);
    case "CardSwipeFailed":
      return onCardSwipeFailed(state, event.code, now);
    case "CancelRequested":
      return onCancel(state, event.requestId, now);
    case "StatusWanted":
      return onStatusWanted(state, event.requestId);
    case "IssuedReceived":
      return onIssued(state, event.message, event.requestId, now);
    case "StateReceived":
      return onState(state, event.message, event.requestId, now);
    case "RequestRefused":
      return onRefused(state, event, now);
    case "ReceiptPrinted":
      return onReceiptPrinted(state, now);
    case "VoidRequested":
      return onVoid(state, event.requestId, now, event.note);
    case "RefundRequested":
      return onRefund(state, event, now);
    case "RefundResultReceived":
      return onRefundResult(state, event.message, now);
  }
}

function onCreate(state: Payment | undefined, event: Extract<PaymentEvent, { type: "CreateRequested" }>, now: number): Transition {
  if (state !== undefined) {
    // The POS retried with the same paymentId: the same body is the same payment (idempotent).
    if (sameCreate(state, event)) return unchanged(state);
    return refused(state, "PAYMENT_EXISTS", `payment ${event.paymentId} exists with a different amount or lines`);
  }
  if (event.tender === "card") {
    // Nothing goes to the server until the card is swiped: the display asks for it.
    const payment: Payment = { ...newPayment(event, now), state: "awaiting-card", tender: "card" };
    return unchanged(
      payment,
      { type: "JournalWrite", payment, outbox: [] },
      { type: "ShowScreen", payment },
      { type: "Notify", level: "info", message: "payment awaiting a card", payment },
    );
  }
  const payment = newPayment(event, now);
  const request: RegisterRequest = {
    v: PROTOCOL_VERSION,
    type: "payment.create",
    requestId: event.requestId,
    paymentId: event.paymentId,
    amount: event.amount,
    ...(event.lines.length > 0 ? { lines: event.lines.map((l) => ({ ...l })) } : {}),
    ...(event.replaces !== undefined && event.replaces.length > 0 ? { replaces: [...event.replaces] } : {}),
  };
  return {
    state: payment,
    effects: [
      { type: "JournalWrite", payment, outbox: [request] },
      { type: "Publish", request },
      { type: "ShowScreen", payment },
      { type: "Notify", level: "info", message: "payment requested", payment },
    ],
  };
}

/**
 * A change's time: now, but always after the payment's previous change. A register clock stepped
 * back (NTP at boot) or two changes in one millisecond still leave every later view of a payment
 * newer than the one before (the cashier panel keeps the newest view it got: public/cashier).
 */
function touchedAt(payment: Payment, now: number): number {
  return Math.max(now, payment.updatedAt + 1);
}

/** A payment as the cashier created it, before any reply: waiting for its code (a card payment overrides state and tender). */
function newPayment(event: Extract<PaymentEvent, { type: "CreateRequested" }>, now: number): Payment {
  return {
    paymentId: event.paymentId,
    state: "requested",
    amount: event.amount,
    lines: event.lines,
    createRequestId: event.requestId,
    receiptPrinted: false,
    cancelRequested: false,
    refunds: [],
    createdAt: now,
    updatedAt: now,
  };
}

function sameCreate(payment: Payment, event: Extract<PaymentEvent, { type: "CreateRequested" }>): boolean {
  if ((payment.tender ?? "code") !== (event.tender ?? "code")) return false;
  if (payment.amount.minor !== event.amount.minor || payment.amount.currency !== event.amount.currency) return false;
  if (payment.lines.length !== event.lines.length) return false;
  return payment.lines.every((line, i) => line.text === event.lines[i]?.text && line.amountMinor === event.lines[i]?.amountMinor);
}

function onCardSwiped(state: Payment | undefined, event: Extract<PaymentEvent, { type: "CardSwiped" }>, now: number): Transition {
  if (state === undefined || state.state !== "awaiting-card") return unchanged(state); // a late or stray swipe
  const payment: Payment = { ...state, state: "requested", createRequestId: event.requestId, cardLast4: event.card.last4, cardError: undefined, updatedAt: touchedAt(state, now) };
  const request: RegisterRequest = {
    v: PROTOCOL_VERSION,
    type: "payment.card",
    requestId: event.requestId,
    paymentId: state.paymentId,
    amount: state.amount,
    card: { token: event.card.token, last4: event.card.last4, expiry: event.card.expiry },
    ...(state.lines.length > 0 ? { lines: state.lines.map((l) => ({ ...l })) } : {}),
  };
  return unchanged(
    payment,
    { type: "JournalWrite", payment, outbox: [request] },
    { type: "Publish", request },
    { type: "ShowScreen", payment },
    { type: "Notify", level: "info", message: "card read; payment sent", payment },
  );
}

function onCardSwipeFailed(state: Payment | undefined, code: string, now: number): Transition {
  if (state === undefined || state.state !== "awaiting-card") return unchanged(state);
  const payment: Payment = { ...state, cardError: code, updatedAt: touchedAt(state, now) };
  return unchanged(
    payment,
    { type: "JournalWrite", payment, outbox: [] },
    { type: "ShowScreen", payment },
    { type: "Notify", level: "warn", message: `bad swipe (${code}); still waiting for a card`, payment },
  );
}

function onCancel(state: Payment | undefined, requestId: string, now: number): Transition {
  if (state === undefined) return refused(state, "PAYMENT_NOT_FOUND", "no such payment");
  if (state.state === "cancelled" || state.cancelRequested) return unchanged(state); // idempotent
  if (isFinalAgentState(state.state)) return refused(state, refusalForFinal(state.state), `payment is already ${state.state}`);
  if (state.state === "awaiting-card") {
    // Nothing was sent: the server never heard of this payment, so it ends here.
    const payment: Payment = { ...state, state: "cancelled", cardError: undefined, updatedAt: touchedAt(state, now) };
    return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, { type: "ShowScreen", payment }, { type: "Notify", level: "info", message: "payment cancelled before the swipe", payment });
  }
  const payment: Payment = { ...state, cancelRequested: true, updatedAt: touchedAt(state, now) };
  if (state.state === "requested" && state.tender === "card") {
    // payment.card is settled in one step on the server: nothing to cancel in between.
    return refused(state, "PAYMENT_SETTLED", "the card payment is already with the server");
  }
  if (state.state === "requested") {
    // The server may not know the payment yet: the cancel goes out when `payment.issued` arrives.
    return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, { type: "Notify", level: "info", message: "cancel held until the code is issued", payment });
  }
  const request = cancelRequest(payment.paymentId, requestId);
  return unchanged(
    payment,
    { type: "JournalWrite", payment, outbox: [request] },
    { type: "Publish", request },
    { type: "Notify", level: "info", message: "cancel sent", payment },
  );
}

function refusalForFinal(state: AgentPaymentState): ErrorCode {
  return state === "expired" ? "CODE_EXPIRED" : "PAYMENT_SETTLED";
}

function cancelRequest(paymentId: string, requestId: string): RegisterRequest {
  return { v: PROTOCOL_VERSION, type: "payment.cancel", requestId, paymentId };
}

function onStatusWanted(state: Payment | undefined, requestId: string): Transition {
  // A `requested` payment needs no status: its payment.create stays in the outbox until answered.
  if (state === undefined || state.state !== "issued") return unchanged(state);
  const request: RegisterRequest = { v: PROTOCOL_VERSION, type: "payment.status", requestId, paymentId: state.paymentId };
  return unchanged(state, { type: "JournalWrite", payment: state, outbox: [request] }, { type: "Publish", request });
}

function onIssued(state: Payment | undefined, message: PaymentIssued, requestId: string, now: number): Transition {
  if (state === undefined) return unchanged(state, { type: "Notify", level: "warn", message: `payment.issued for unknown payment ${message.paymentId}` });
  if (state.state === "issued" && message.code !== state.code && message.amount.minor === state.amount.minor && message.amount.currency === state.amount.currency) {
    // The server rotated the code (wrong guesses against the store): show the fresh one.
    const payment: Payment = { ...state, code: message.code, expiresAt: message.expiresAt, codeRenewed: true, updatedAt: touchedAt(state, now) };
    return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, { type: "ShowScreen", payment }, { type: "Notify", level: "info", message: "code rotated by the server", payment });
  }
  if (state.state !== "requested") return unchanged(state); // duplicate or late reply
  if (message.amount.minor !== state.amount.minor || message.amount.currency !== state.amount.currency) {
    // The server issued a code for another amount: never show it. Fail locally and withdraw the payment.
    const payment: Payment = { ...state, state: "failed", reason: "IDEMPOTENCY_MISMATCH", updatedAt: touchedAt(state, now) };
    const request = cancelRequest(state.paymentId, requestId);
    return unchanged(
      payment,
      { type: "JournalWrite", payment, outbox: [request] },
      { type: "Publish", request },
      { type: "ShowScreen", payment },
      { type: "Notify", level: "warn", message: "server issued a code for a different amount", payment },
    );
  }
  const payment: Payment = { ...state, state: "issued", code: message.code, expiresAt: message.expiresAt, updatedAt: touchedAt(state, now) };
  if (state.cancelRequested) {
    const request = cancelRequest(state.paymentId, requestId);
    return unchanged(payment, { type: "JournalWrite", payment, outbox: [request] }, { type: "Publish", request }, { type: "Notify", level: "info", message: "code issued; held cancel sent", payment });
  }
  return unchanged(
    payment,
    { type: "JournalWrite", payment, outbox: [] },
    { type: "ShowScreen", payment },
    { type: "Notify", level: "info", message: "code issued", payment },
  );
}

function onState(state: Payment | undefined, message: PaymentStateMessage, requestId: string, now: number): Transition {
  const ack: ResultAck | undefined =
    message.resultId === undefined
      ? undefined
      : { v: PROTOCOL_VERSION, type: "result.ack", requestId, paymentId: message.paymentId, resultId: message.resultId };
  const ackEffects: Effect[] = ack ? [{ type: "AckResult", ack }] : [];
  if (state === undefined) {
    // Acknowledge anyway: nothing here can act on it, and an unacknowledged result is resent forever.
    return unchanged(state, ...ackEffects, { type: "Notify", level: "warn", message: `result for unknown payment ${message.paymentId}` });
  }
  if (!isFinalPaymentState(message.state)) return unchanged(state, ...ackEffects); // pending/claimed: nothing to show yet
  const finalState = message.state as AgentPaymentState;
  if (state.state === "approved" && finalState === "voided") return onVoided(state, now, ackEffects);
  if (isFinalAgentState(state.state)) {
    if (state.state === finalState) return unchanged(state, ...ackEffects); // duplicate result
    return unchanged(state, ...ackEffects, { type: "Notify", level: "warn", message: `late result ${finalState} ignored: payment is ${state.state}` });
  }
  const payment: Payment = {
    ...state,
    state: finalState,
    ...(message.reason !== undefined ? { reason: message.reason } : {}),
    ...(message.reference !== undefined ? { reference: message.reference } : {}),
    ...(message.cardLast4 !== undefined ? { cardLast4: message.cardLast4 } : {}),
    updatedAt: touchedAt(state, now),
  };
  const approvedEffects: Effect[] =
    finalState === "approved" ? [{ type: "PrintReceipt", payment }, { type: "KickDrawer", paymentId: payment.paymentId }] : [];
  return unchanged(
    payment,
    { type: "JournalWrite", payment, outbox: [] },
    ...ackEffects,
    { type: "ShowScreen", payment },
    ...approvedEffects,
    { type: "Notify", level: "info", message: `payment ${finalState}`, payment },
  );
}

function onRefused(state: Payment | undefined, event: Extract<PaymentEvent, { type: "RequestRefused" }>, now: number): Transition {
  if (state === undefined) return unchanged(state);
  if (event.requestType === "payment.void" && state.voidRequestId !== undefined) {
    const payment: Payment = { ...state, voidRequestId: undefined, updatedAt: touchedAt(state, now) };
    return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, { type: "Notify", level: "warn", message: `server refused the void: ${event.code}`, payment });
  }
  if (event.requestType === "refund.create") {
    const refunds = state.refunds.map((r): Refund => (r.requestId === event.requestId && r.state === "requested" ? { ...r, state: "refused", reason: event.code } : r));
    const payment: Payment = { ...state, refunds, updatedAt: touchedAt(state, now) };
    return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, { type: "Notify", level: "warn", message: `server refused the refund: ${event.code}`, payment });
  }
  if ((event.requestType === "payment.create" || event.requestType === "payment.card") && state.state === "requested") {
    const payment: Payment = { ...state, state: "failed", reason: event.code, updatedAt: touchedAt(state, now) };
    return unchanged(
      payment,
      { type: "JournalWrite", payment, outbox: [] },
      { type: "ShowScreen", payment },
      { type: "Notify", level: "warn", message: `server refused the payment: ${event.code}`, payment },
    );
  }
  return unchanged(state, { type: "Notify", level: "warn", message: `server refused ${event.requestType}: ${event.code} ${event.message}` });
}

function onReceiptPrinted(state: Payment | undefined, now: number): Transition {
  if (state === undefined || state.state !== "approved" || state.receiptPrinted) return unchanged(state);
  const payment: Payment = { ...state, receiptPrinted: true, updatedAt: touchedAt(state, now) };
  return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, { type: "Notify", level: "info", message: "receipt printed", payment });
}

function onVoided(state: Payment, now: number, ackEffects: readonly Effect[]): Transition {
  const payment: Payment = { ...state, state: "voided", voidRequestId: undefined, updatedAt: touchedAt(state, now) };
  // What was left after refunds went back: that is what the slip says the void moved.
  const refunded = state.refunds.filter((r) => r.state === "done").reduce((sum, r) => sum + r.amountMinor, 0);
  const slip: Effect = { type: "PrintSlip", slip: { kind: "void", paymentId: state.paymentId, original: state.amount, amountMinor: state.amount.minor - refunded, ...(state.voidNote !== undefined ? { note: state.voidNote } : {}) } };
  return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, ...ackEffects, slip, { type: "ShowScreen", payment }, { type: "Notify", level: "info", message: "payment voided", payment });
}

function onVoid(state: Payment | undefined, requestId: string, now: number, note?: string): Transition {
  if (state === undefined) return refused(state, "PAYMENT_NOT_FOUND", "no such payment");
  if (state.state === "voided") return unchanged(state); // idempotent
  if (state.state !== "approved") return refused(state, "VOID_NOT_ALLOWED", `only an approved payment can be voided (it is ${state.state})`);
  if (state.voidRequestId !== undefined) return unchanged(state); // already on its way
  const payment: Payment = { ...state, voidRequestId: requestId, ...(note !== undefined ? { voidNote: note } : {}), updatedAt: touchedAt(state, now) };
  const request: RegisterRequest = { v: PROTOCOL_VERSION, type: "payment.void", requestId, paymentId: state.paymentId };
  return unchanged(payment, { type: "JournalWrite", payment, outbox: [request] }, { type: "Publish", request }, { type: "Notify", level: "info", message: "void sent", payment });
}

function onRefund(state: Payment | undefined, event: Extract<PaymentEvent, { type: "RefundRequested" }>, now: number): Transition {
  if (state === undefined) return refused(state, "PAYMENT_NOT_FOUND", "no such payment");
  const known = state.refunds.find((r) => r.refundId === event.refundId);
  if (known !== undefined) {
    // The POS retried the refund id: the same refund if the same amount (the server says the same).
    if (known.amountMinor !== event.amountMinor) return refused(state, "IDEMPOTENCY_MISMATCH", `refund ${event.refundId} was for ${known.amountMinor}`);
    return unchanged(state);
  }
  if (state.state !== "approved") return refused(state, "VOID_NOT_ALLOWED", `only an approved payment can be refunded (it is ${state.state})`);
  const refund: Refund = { refundId: event.refundId, amountMinor: event.amountMinor, state: "requested", requestId: event.requestId, ...(event.note !== undefined ? { note: event.note } : {}) };
  const payment: Payment = { ...state, refunds: [...state.refunds, refund], updatedAt: touchedAt(state, now) };
  const request: RegisterRequest = {
    v: PROTOCOL_VERSION,
    type: "refund.create",
    requestId: event.requestId,
    refundId: event.refundId,
    paymentId: state.paymentId,
    amount: { minor: event.amountMinor, currency: state.amount.currency },
  };
  return unchanged(payment, { type: "JournalWrite", payment, outbox: [request] }, { type: "Publish", request }, { type: "Notify", level: "info", message: "refund sent", payment });
}

function onRefundResult(state: Payment | undefined, message: RefundResult, now: number): Transition {
  if (state === undefined) return unchanged(state, { type: "Notify", level: "warn", message: `refund.result for unknown payment ${message.paymentId}` });
  const before = state.refunds.find((r) => r.refundId === message.refundId);
  // A repeated result (a resend, a retried refund id) changes nothing and prints no second slip.
  if (before?.state === "done") return unchanged(state);
  const refunds = state.refunds.map((r): Refund => (r.refundId === message.refundId ? { ...r, state: "done", reason: undefined, reference: message.reference, doneAt: now } : r));
  const payment: Payment = { ...state, refunds, updatedAt: touchedAt(state, now) };
  const slip: Effect = {
    type: "PrintSlip",
    slip: { kind: "refund", paymentId: state.paymentId, original: state.amount, amountMinor: message.amount.minor, refundId: message.refundId, reference: message.reference, ...(before?.note !== undefined ? { note: before.note } : {}) },
  };
  return unchanged(payment, { type: "JournalWrite", payment, outbox: [] }, slip, { type: "ShowScreen", payment }, { type: "Notify", level: "info", message: "refund done", payment });
}
