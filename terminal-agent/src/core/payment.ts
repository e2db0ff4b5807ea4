import type { ErrorCode, Money } from "@codepay/contract";

/**
 * The agent's view of one payment. `requested`: journaled and sent; `issued`: the server gave a code;
 * then one final state. `failed` means the server refused the request (it changed nothing there).
 * Card tender: `awaiting-card` (journaled, nothing sent, the display asks for a swipe) -> `requested`
 * (the swipe's `payment.card` journaled and sent) -> a final state.
 */
export const AGENT_PAYMENT_STATES = ["awaiting-card", "requested", "issued", "approved", "declined", "expired", "cancelled", "failed", "voided"] as const;
export type AgentPaymentState = (typeof AGENT_PAYMENT_STATES)[number];

/** `voided` follows `approved` (a void before the period closes); every other final state is the end. */
export const FINAL_AGENT_STATES: readonly AgentPaymentState[] = ["approved", "declined", "expired", "cancelled", "failed", "voided"];

export function isFinalAgentState(state: AgentPaymentState): boolean {
  return FINAL_AGENT_STATES.includes(state);
}

export interface ReceiptLine {
  readonly text: string;
  readonly amountMinor?: number | undefined;
}

/** A refund of (part of) an approved payment; `refundId` is the POS's (or the agent's) id. */
export interface Refund {
  readonly refundId: string;
  readonly amountMinor: number;
  /** requested: journaled and sent; done: the server moved the money; refused: it did not (reason). */
  readonly state: "requested" | "done" | "refused";
  readonly requestId: string;
  readonly reason?: ErrorCode | undefined;
  readonly reference?: string | undefined;
  /** The cashier's words for why (printed on the slip); never sent to the server. */
  readonly note?: string | undefined;
  /** Epoch ms the server confirmed it (the display shows the refund for a few seconds). */
  readonly doneAt?: number | undefined;
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
  /** requestId of the `payment.void` in flight (until the server answers). */
  readonly voidRequestId?: string | undefined;
  /** The cashier's words for why the payment was voided (printed on the void slip); never sent to the server. */
  readonly voidNote?: string | undefined;
  readonly refunds: readonly Refund[];
  /** How the shopper pays; absent means "code". */
  readonly tender?: "code" | "card" | undefined;
  /** Card tender: the last 4 digits (from the swipe, confirmed by the server). Never more. */
  readonly cardLast4?: string | undefined;
  /** Card tender: the error code of the last bad swipe while awaiting a card (shown on the display). */
  readonly cardError?: string | undefined;
  /** The server renewed the code after wrong guesses against the store: the display says NEW CODE while it is open. */
  readonly codeRenewed?: boolean | undefined;
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
  tender: "code" | "card";
  cardLast4?: string;
  cardError?: string;
  /** Refunds that went through, summed. */
  refundedMinor: number;
  /** `reason`: the server's error code of a refused refund; `note`: the cashier's reason, printed on the slip. */
  refunds: { refundId: string; amountMinor: number; state: Refund["state"]; reason?: string; reference?: string; note?: string }[];
  /** The cashier's reason for the void, printed on the void slip. */
  voidNote?: string;
  /** When the register made it (epoch ms): the panel's history shows it after a reload. */
  createdAt: number;
  /**
   * When the register last changed it (epoch ms), strictly later than the change before even if the
   * clock stepped back (payment-machine.ts `touchedAt`). Views reach the panel by two roads (a
   * command's own reply, the event stream) that may cross: the panel keeps the newer one.
   */
  updatedAt: number;
}

export function toPaymentView(payment: Payment): PaymentView {
  return {
    paymentId: payment.paymentId,
    state: payment.state,
    amount: { minor: payment.amount.minor, currency: payment.amount.currency },
    // A code whose cancel is asked for is never let out again (not on the display, not here): after a
    // restart the server may issue it for a moment before the held cancel lands.
    ...(payment.code !== undefined && !payment.cancelRequested ? { code: payment.code } : {}),
    ...(payment.expiresAt !== undefined ? { expiresAt: payment.expiresAt } : {}),
    ...(payment.reason !== undefined ? { reason: payment.reason } : {}),
    ...(payment.reference !== undefined ? { reference: payment.reference } : {}),
    receiptPrinted: payment.receiptPrinted,
    tender: payment.tender ?? "code",
    ...(payment.cardLast4 !== undefined ? { cardLast4: payment.cardLast4 } : {}),
    ...(payment.cardError !== undefined ? { cardError: payment.cardError } : {}),
    refundedMinor: payment.refunds.filter((r) => r.state === "done").reduce((sum, r) => sum + r.amountMinor, 0),
    refunds: payment.refunds.map((r) => ({
      refundId: r.refundId,
      amountMinor: r.amountMinor,
      state: r.state,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.reference !== undefined ? { reference: r.reference } : {}),
      ...(r.note !== undefined ? { note: r.note } : {}),
    })),
    ...(payment.voidNote !== undefined ? { voidNote: payment.voidNote } : {}),
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt,
  };
}
