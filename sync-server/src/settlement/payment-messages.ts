import { PROTOCOL_VERSION, isCurrencyCode, type ErrorCode, type PaymentStateMessage } from "@codepay/contract";
import { ERROR_CODES } from "@codepay/contract";
import type { PaymentRow } from "../db/repositories/payments.js";
import { assert } from "../assert.js";

export function moneyOf(payment: PaymentRow): PaymentStateMessage["amount"] {
  assert(isCurrencyCode(payment.currency), `payment ${payment.paymentId} has unknown currency ${payment.currency}`);
  return { minor: payment.amountMinor, currency: payment.currency };
}

function asErrorCode(value: string | null): ErrorCode | undefined {
  return value !== null && (ERROR_CODES as readonly string[]).includes(value) ? (value as ErrorCode) : undefined;
}

/** `payment.state` for a payment, to its register (so in the register's id for it): a reply (inReplyTo) or a pushed result (resultId). */
export function paymentStateMessage(payment: PaymentRow, ids: { inReplyTo?: string; resultId?: string }): PaymentStateMessage {
  const reason = asErrorCode(payment.reason);
  return {
    v: PROTOCOL_VERSION,
    type: "payment.state",
    ...(ids.inReplyTo !== undefined ? { inReplyTo: ids.inReplyTo } : {}),
    ...(ids.resultId !== undefined ? { resultId: ids.resultId } : {}),
    paymentId: payment.registerPaymentId,
    state: payment.state,
    amount: moneyOf(payment),
    ...(reason !== undefined ? { reason } : {}),
    ...(payment.reference !== null ? { reference: payment.reference } : {}),
    updatedAt: payment.updatedAt,
    ...(payment.tender === "card" ? { tender: "card" as const } : {}),
    ...(payment.cardLast4 !== null ? { cardLast4: payment.cardLast4 } : {}),
  };
}
