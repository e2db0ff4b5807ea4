/**
 * The payment machine: pure, no I/O, no clock (STYLE.md §3). The shell reads a payment, feeds it an
 * event with the current time, and runs the returned effects in the same transaction.
 *
 *   pending --claim--> claimed --approve--> approved
 *                              --decline--> declined
 *   pending|claimed --expire (now >= expiresAt)--> expired
 *   pending|claimed --cancel--> cancelled
 *   approved --refund (part of what is left)--> approved      (reverse)
 *   approved --void (all that is left, same register period)--> voided
 *   (card swipe) --card-approve--> approved, --card-decline--> declined   (startCardPayment)
 *
 * Every state a payment row holds is decided here; the repositories only write what this returns.
 */
import type { ErrorCode, PaymentState } from "@codepay/contract";

export interface PaymentSnapshot {
  readonly state: PaymentState;
  readonly expiresAt: number;
  readonly claimedByPhone: string | null;
  readonly reason: ErrorCode | null;
}

export type PaymentEvent =
  | { readonly type: "claim"; readonly phoneId: string; readonly now: number }
  | { readonly type: "approve"; readonly phoneId: string; readonly now: number }
  /** The phone said no, or the ledger could not settle (INSUFFICIENT_FUNDS, NO_ACCOUNT). */
  | { readonly type: "decline"; readonly phoneId: string; readonly now: number; readonly reason: ErrorCode | null }
  | { readonly type: "cancel"; readonly now: number }
  | { readonly type: "tick"; readonly now: number };

export type PaymentEffect =
  /** Post the transfer shopper -> store. */
  | { readonly type: "settle" }
  /** Tell the register the final state (outbox row, delivered after commit). */
  | { readonly type: "push-result" };

export type TransitionResult =
  | { readonly ok: true; readonly payment: PaymentSnapshot; readonly effects: readonly PaymentEffect[] }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

const OPEN_STATES: readonly PaymentState[] = ["pending", "claimed"];

export function isOpen(state: PaymentState): boolean {
  return OPEN_STATES.includes(state);
}

export function isExpiredAt(payment: PaymentSnapshot, now: number): boolean {
  return isOpen(payment.state) && now >= payment.expiresAt;
}

/** The refusal for acting on a payment that is already final. */
export function refusalForFinalState(state: PaymentState): { code: ErrorCode; message: string } {
  switch (state) {
    case "expired":
      return { code: "CODE_EXPIRED", message: "the payment code expired" };
    case "cancelled":
      return { code: "PAYMENT_CANCELLED", message: "the register cancelled this payment" };
    default:
      return { code: "PAYMENT_SETTLED", message: `the payment is already ${state}` };
  }
}

function refuse(code: ErrorCode, message: string): TransitionResult {
  return { ok: false, code, message };
}

function moveTo(payment: PaymentSnapshot, changes: Partial<PaymentSnapshot>, effects: readonly PaymentEffect[]): TransitionResult {
  return { ok: true, payment: { ...payment, ...changes }, effects };
}

/**
 * Applies one event. Expiry is checked first for every event, so a payment past its time can never
 * be claimed, approved or cancelled even if the sweep has not run yet; callers apply `tick` first
 * and persist its outcome before applying the real event (see settlement/apply-event.ts).
 */
export function transition(payment: PaymentSnapshot, event: PaymentEvent): TransitionResult {
  if (event.type === "tick") {
    if (!isExpiredAt(payment, event.now)) return moveTo(payment, {}, []);
    return moveTo(payment, { state: "expired", reason: "CODE_EXPIRED" }, [{ type: "push-result" }]);
  }
  if (isExpiredAt(payment, event.now)) return refuse("CODE_EXPIRED", "the payment code expired");
  if (!isOpen(payment.state)) {
    const refusal = refusalForFinalState(payment.state);
    return refuse(refusal.code, refusal.message);
  }
  switch (event.type) {
    case "claim":
      if (payment.state === "claimed" && payment.claimedByPhone !== event.phoneId) {
        return refuse("PAYMENT_CLAIMED", "another phone claimed this code");
      }
      // Claiming again from the same phone is harmless (the phone may have lost the reply).
      return moveTo(payment, { state: "claimed", claimedByPhone: event.phoneId }, []);
    case "approve":
    case "decline":
      if (payment.state === "pending") return refuse("PAYMENT_NOT_FOUND", "claim the code before deciding");
      if (payment.claimedByPhone !== event.phoneId) return refuse("PAYMENT_CLAIMED", "another phone claimed this code");
      if (event.type === "approve") return moveTo(payment, { state: "approved", reason: null }, [{ type: "settle" }, { type: "push-result" }]);
      return moveTo(payment, { state: "declined", reason: event.reason }, [{ type: "push-result" }]);
    case "cancel":
      return moveTo(payment, { state: "cancelled", reason: "PAYMENT_CANCELLED" }, [{ type: "push-result" }]);
  }
}

/** An approved payment as a refund or a void sees it. */
export interface SettledPayment {
  readonly state: PaymentState;
  readonly amountMinor: number;
  /** What refunds and voids gave back so far. */
  readonly reversedMinor: number;
  /** The payment belongs to its register's open period (no Z report closed it): voids need that. */
  readonly inOpenPeriod: boolean;
}

export type ReversalEvent = { readonly type: "void" } | { readonly type: "refund"; readonly amountMinor: number };

export type ReversalResult =
  | {
      readonly ok: true;
      readonly state: "approved" | "voided";
      /** The amount to give back: the refund's, or all that is left for a void. */
      readonly amountMinor: number;
      readonly reversedMinor: number;
      /** Post the reversing transfer store -> shopper. */
      readonly effects: readonly [{ readonly type: "post-reversal" }];
    }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** A refund or a void: never more than what is left, a void only while its period is open. */
export function reverse(payment: SettledPayment, event: ReversalEvent): ReversalResult {
  const what = event.type === "void" ? "voided" : "refunded";
  if (payment.state === "voided") return { ok: false, code: "REFUND_EXCEEDS_ORIGINAL", message: "the payment is voided: nothing is left to reverse" };
  if (payment.state !== "approved") return { ok: false, code: "VOID_NOT_ALLOWED", message: `only an approved payment can be ${what} (it is ${payment.state})` };
  const remaining = payment.amountMinor - payment.reversedMinor;
  if (event.type === "void") {
    if (!payment.inOpenPeriod) return { ok: false, code: "PERIOD_CLOSED", message: "the payment belongs to a period closed by a Z report" };
    if (remaining === 0) return { ok: false, code: "REFUND_EXCEEDS_ORIGINAL", message: "the payment is refunded in full: nothing is left to void" };
    return { ok: true, state: "voided", amountMinor: remaining, reversedMinor: payment.amountMinor, effects: [{ type: "post-reversal" }] };
  }
  if (event.amountMinor > remaining) {
    return { ok: false, code: "REFUND_EXCEEDS_ORIGINAL", message: `refund of ${event.amountMinor} exceeds what is left of the payment (${remaining} of ${payment.amountMinor})` };
  }
  return { ok: true, state: "approved", amountMinor: event.amountMinor, reversedMinor: payment.reversedMinor + event.amountMinor, effects: [{ type: "post-reversal" }] };
}

export type CardEvent = { readonly type: "card-approve" } | { readonly type: "card-decline"; readonly reason: ErrorCode };

export type CardStart =
  | { readonly state: "approved"; readonly effects: readonly PaymentEffect[] }
  | { readonly state: "declined"; readonly reason: ErrorCode; readonly effects: readonly PaymentEffect[] };

/** A swiped card's payment is final at once: approved (settle now) or declined with the reason. */
export function startCardPayment(event: CardEvent): CardStart {
  if (event.type === "card-approve") return { state: "approved", effects: [{ type: "settle" }] };
  return { state: "declined", reason: event.reason, effects: [] };
}
