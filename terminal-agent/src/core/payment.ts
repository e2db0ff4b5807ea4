import type { ErrorCode, Money } from "@codepay/sync-server/protocol";

/**
 * The agent's view of one payment. `requested`: journaled and sent; `issued`: the server gave a code;
 * then one final state. `failed` means the server refused the request (it changed nothing there).
 */
export const AGENT_PAYMENT_STATES = ["requested", "issued", "approved", "declined", "expired", "cancelled", "failed"] as const;
export type AgentPaymentState = (typeof AGENT_PAYMENT_STATES)[number];

export const FINAL_AGENT_STATES: readonly AgentPaymentState[] = ["approved", "declined", "expired", "cancelled", "failed"];

export function isFinalAgentState(state: AgentPaymentState): boolean {
  return FINAL_AGENT_STATES.includes(state);
}

export interface ReceiptLine {
  readonly text: string;
  readonly amountMinor?: number | undefined;
}

export interface Payment {
  readonly paymentId: string;
  readonly state: AgentPaymentState;
  readonly amount: Money;
  readonly lines: readonly ReceiptLine[];
  /** requestId of the `payment.create` that made it: a repeated POST must match it. */
  readonly createRequestId: string;
  readonly code?: string | undefined;
  /** Epoch milliseconds. */
  readonly expiresAt?: number | undefined;
  readonly reason?: ErrorCode | undefined;
  readonly reference?: string | undefined;
  readonly receiptPrinted: boolean;
  /** The cashier cancelled before the code arrived: the cancel goes out once the server knows the payment. */
  readonly cancelRequested: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What the cashier API returns (contracts.md `payment`). */
export interface PaymentView {
  paymentId: string;
  state: AgentPaymentState;
  amount: { minor: number; currency: string };
  code?: string;
  expiresAt?: number;
  reason?: string;
  reference?: string;
  receiptPrinted: boolean;
}

export function toPaymentView(payment: Payment): PaymentView {
  return {
    paymentId: payment.paymentId,
    state: payment.state,
    amount: { minor: payment.amount.minor, currency: payment.amount.currency },
    ...(payment.code !== undefined ? { code: payment.code } : {}),
    ...(payment.expiresAt !== undefined ? { expiresAt: payment.expiresAt } : {}),
    ...(payment.reason !== undefined ? { reason: payment.reason } : {}),
    ...(payment.reference !== undefined ? { reference: payment.reference } : {}),
    receiptPrinted: payment.receiptPrinted,
  };
}
