/**
 * Register requests that move money after the fact or summarize it: card payment, void, refund,
 * X/Z report. Each runs in one idempotent transaction (stored reply per requestId).
 */
import { findPayment } from "../db/repositories/payments.js";
import { findStore } from "../db/repositories/stores.js";
import { isCurrencyCode, PROTOCOL_VERSION, type CardPayment, type RefundRequest, type ReportRequest, type ServerMessage, type VoidPayment } from "@codepay/contract";
import { settleCardPayment } from "./card-payments.js";
import { sandboxOutcome } from "./sandbox.js";
import type { SettlementContext } from "./context.js";
import { paymentStateMessage } from "./payment-messages.js";
import { serverPaymentId } from "./payment-names.js";
import { findOwnPayment, idempotentReply, requestError, type RegisterAddress } from "./register-requests.js";
import { buildReport } from "./reports.js";
import { reversePayment } from "./reversals.js";

export function cardPayment(context: SettlementContext, register: RegisterAddress, request: CardPayment): Promise<ServerMessage | undefined> {
  const forced = sandboxOutcome(context.sandbox ?? false, request.amount.minor);
  // Sandbox timeout: no answer at all, nothing stored; the register's own timeout takes over.
  if (forced === "timeout") return Promise.resolve(undefined);
  if (forced === "error") return Promise.resolve(requestError("INTERNAL", "sandbox: this amount forces a server error; nothing changed", request.requestId));
  return idempotentReply(context, register, request, async (tx) => {
    const store = await findStore(tx, register.storeId);
    if (store === undefined) return requestError("UNKNOWN_REGISTER", `store ${register.storeId} is not enrolled`, request.requestId);
    if (store.currency !== request.amount.currency) return requestError("CURRENCY_MISMATCH", `store takes ${store.currency}, not ${request.amount.currency}`, request.requestId);
    if ((await findOwnPayment(tx, register, request.paymentId)) !== undefined) return requestError("PAYMENT_EXISTS", `paymentId ${request.paymentId} is already used on this register`, request.requestId);
    const now = context.clock();
    const paymentId = await serverPaymentId(tx, request.paymentId);
    await settleCardPayment(tx, register.storeId, register.registerId, paymentId, request, now, forced === "decline" ? "SANDBOX_FORCED" : undefined);
    const payment = await findPayment(tx, paymentId);
    if (payment === undefined) throw new Error(`card payment ${request.paymentId} not stored`);
    context.logger.info({ paymentId: payment.paymentId, state: payment.state, reason: payment.reason, last4: payment.cardLast4 }, "card payment");
    return paymentStateMessage(payment, { inReplyTo: request.requestId });
  });
}

export function voidPayment(context: SettlementContext, register: RegisterAddress, request: VoidPayment): Promise<ServerMessage> {
  return idempotentReply(context, register, request, async (tx) => {
    const payment = await findOwnPayment(tx, register, request.paymentId);
    if (payment === undefined) return requestError("PAYMENT_NOT_FOUND", `no payment ${request.paymentId} on this register`, request.requestId);
    if (payment.state === "voided") return paymentStateMessage(payment, { inReplyTo: request.requestId }); // voiding twice: where it stands
    const outcome = await reversePayment(tx, payment, { kind: "void", now: context.clock() });
    if (!outcome.ok) return requestError(outcome.code, outcome.message, request.requestId);
    const voided = await findPayment(tx, payment.paymentId);
    if (voided === undefined) throw new Error("voided payment vanished");
    return paymentStateMessage(voided, { inReplyTo: request.requestId });
  });
}

export function refundPayment(context: SettlementContext, register: RegisterAddress, request: RefundRequest): Promise<ServerMessage> {
  return idempotentReply(context, register, request, async (tx) => {
    const payment = await findOwnPayment(tx, register, request.paymentId);
    if (payment === undefined) return requestError("PAYMENT_NOT_FOUND", `no payment ${request.paymentId} on this register`, request.requestId);
    if (payment.currency !== request.amount.currency) return requestError("CURRENCY_MISMATCH", `payment is in ${payment.currency}`, request.requestId);
    const outcome = await reversePayment(tx, payment, { kind: "refund", refundId: request.refundId, amountMinor: request.amount.minor, now: context.clock() });
    if (!outcome.ok) return requestError(outcome.code, outcome.message, request.requestId);
    const { reversal } = outcome;
    if (!isCurrencyCode(reversal.currency)) throw new Error(`refund in unknown currency ${reversal.currency}`);
    return {
      v: PROTOCOL_VERSION,
      type: "refund.result",
      inReplyTo: request.requestId,
      refundId: reversal.refundId,
      paymentId: payment.registerPaymentId,
      amount: { minor: reversal.amountMinor, currency: reversal.currency },
      reversedTotalMinor: outcome.reversedTotalMinor,
      reference: reversal.transferId,
      updatedAt: reversal.createdAt,
    };
  });
}

export function reportRequest(context: SettlementContext, register: RegisterAddress, request: ReportRequest): Promise<ServerMessage> {
  return idempotentReply(context, register, request, (tx) => buildReport(tx, register, request.kind, request.requestId, context.clock()));
}
