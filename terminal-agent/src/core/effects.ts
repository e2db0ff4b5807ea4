import type { RegisterRequest, ResultAck } from "@codepay/contract";
import type { Payment } from "./payment.js";

/**
 * What the payment machine asks the shell to do, as values. The shell runs them in order:
 * a `JournalWrite` always comes before the `Publish` or `AckResult` it enables, so a request is
 * stored before it is sent and a result is stored before it is acknowledged.
 */
export type Effect =
  /** Store the payment row and (atomically) any requests for the outbox. */
  | { readonly type: "JournalWrite"; readonly payment: Payment; readonly outbox: readonly RegisterRequest[] }
  /** Send a request on the up topic (already in the outbox). */
  | { readonly type: "Publish"; readonly request: RegisterRequest }
  /** Redraw the pole display for this payment. */
  | { readonly type: "ShowScreen"; readonly payment: Payment }
  | { readonly type: "PrintReceipt"; readonly payment: Payment }
  /** Print the slip of a refund or void the server confirmed (once, when it is confirmed). */
  | { readonly type: "PrintSlip"; readonly slip: ReversalSlip }
  /** Open the cash drawer (ESC p), only if the printer is configured with `drawer: true`. */
  | { readonly type: "KickDrawer"; readonly paymentId: string }
  /** Tell the server a pushed result is stored, so it stops resending it. Not journaled: a lost ack means a resent result. */
  | { readonly type: "AckResult"; readonly ack: ResultAck }
  /** Tell listeners (SSE, logs) what happened. */
  | { readonly type: "Notify"; readonly level: "info" | "warn"; readonly message: string; readonly payment?: Payment };

export type EffectType = Effect["type"];

/** What a refund or void slip says: the original payment, what went back, the cashier's reason. */
export interface ReversalSlip {
  readonly kind: "refund" | "void";
  readonly paymentId: string;
  /** The original payment's amount. */
  readonly original: Payment["amount"];
  /** What this refund or void moved back, in the payment's currency. */
  readonly amountMinor: number;
  /** The refund's id; a void has none. */
  readonly refundId?: string | undefined;
  /** The server's reference of the reversing transfer, when it said one. */
  readonly reference?: string | undefined;
  readonly note?: string | undefined;
}
