/**
 * The payment machine: pure, no I/O, no clock (STYLE.md §3). The shell reads a payment, feeds it an
 * event with the current time, and runs the returned effects in the same transaction.
 *
 *   pending --claim--> claimed --approve--> approved
 *                              --decline--> declined
 *   pending|claimed --expire (now >= expiresAt)--> expired
 *   pending|claimed --cancel--> cancelled
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
