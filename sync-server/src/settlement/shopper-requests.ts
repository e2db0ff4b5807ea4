/**
 * What phones ask through the carrier gateway: claim a code, approve or decline the payment.
 * Results are plain values; the HTTP layer maps refusal codes to statuses.
 */
import type { Tx } from "../db/database.js";
import type { OutboxRow } from "../db/repositories/outbox.js";
import { findOpenPaymentByCode, findPayment, findRecentlyClosedPaymentByCode } from "../db/repositories/payments.js";
import { findRegister } from "../db/repositories/registers.js";
import { findStore } from "../db/repositories/stores.js";
import type { PhoneRow } from "../db/repositories/users.js";
import { limits } from "../limits.js";
import { refusalForFinalState } from "../payments/payment-machine.js";
import {
  hasValidCheckDigit,
  normalizeTypedCode,
  type ApproveResponse,
  type ClaimRequest,
  type ClaimResponse,
  type DecisionRequest,
  type DeclineResponse,
} from "../protocol/index.js";
import { applyPaymentEvent } from "./apply-event.js";
import type { Refusal, SettlementContext } from "./context.js";
import { requestHash, runIdempotent } from "./idempotent-transaction.js";
import { moneyOf } from "./payment-messages.js";

export type ShopperResult<Body> = { readonly ok: true; readonly body: Body } | Refusal;

function refuse(code: Refusal["code"], message: string): Refusal {
  return { ok: false, code, message };
}

async function idempotentForPhone<Body>(
  context: SettlementContext,
  phone: PhoneRow,
  operation: string,
  request: { requestId: string },
  run: (tx: Tx, pushed: OutboxRow[]) => Promise<ShopperResult<Body>>,
): Promise<ShopperResult<Body>> {
  const outcome = await runIdempotent<ShopperResult<Body>>(context, {
    scope: `phone:${phone.phoneId}`,
    requestId: request.requestId,
    requestHash: requestHash(operation, request),
    run,
  });
  if (outcome.kind === "mismatch") return refuse("IDEMPOTENCY_MISMATCH", "this requestId was used for a different request");
  return outcome.reply;
}

const CODE_SHAPE = /^\d{4,12}$/;

export function claimCode(context: SettlementContext, phone: PhoneRow, request: ClaimRequest): Promise<ShopperResult<ClaimResponse>> {
  return idempotentForPhone(context, phone, "claim", request, async (tx, pushed) => {
    const code = normalizeTypedCode(request.code);
    // The check digit is checked before any lookup: a typo never costs a guess against open codes.
    if (!CODE_SHAPE.test(code) || !hasValidCheckDigit(code)) return refuse("CODE_CHECK_DIGIT", "the code has a typo (check digit)");
    const now = context.clock();
    const payment = await findOpenPaymentByCode(tx, code);
    if (payment === undefined) {
      const closed = await findRecentlyClosedPaymentByCode(tx, code, now - limits.closedCodeMemoryMs);
      if (closed === undefined) return refuse("CODE_NOT_FOUND", "no open payment has this code");
      const refusal = refusalForFinalState(closed.state);
      return refuse(refusal.code, refusal.message);
    }
    const applied = await applyPaymentEvent(tx, payment, { type: "claim", phoneId: phone.phoneId, now }, pushed);
    if (!applied.ok) return refuse(applied.code, applied.message);
    const store = await findStore(tx, payment.storeId);
    const register = await findRegister(tx, payment.registerId);
    return {
      ok: true,
      body: {
        paymentId: payment.paymentId,
        storeName: store?.name ?? payment.storeId,
        registerId: payment.registerId,
        registerName: register?.name ?? payment.registerId,
        amount: moneyOf(payment),
        expiresAt: payment.expiresAt,
      },
    };
  });
}

export function approvePayment(context: SettlementContext, phone: PhoneRow, paymentId: string, request: DecisionRequest): Promise<ShopperResult<ApproveResponse>> {
  return idempotentForPhone(context, phone, `approve:${paymentId}`, request, async (tx, pushed) => {
    const payment = await findPayment(tx, paymentId);
    if (payment === undefined) return refuse("PAYMENT_NOT_FOUND", `no payment ${paymentId}`);
    const applied = await applyPaymentEvent(tx, payment, { type: "approve", phoneId: phone.phoneId, now: context.clock() }, pushed);
    if (!applied.ok) return refuse(applied.code, applied.message);
    const reference = applied.payment.reference;
    if (reference === null) throw new Error(`approved payment ${paymentId} has no transfer reference`);
    return { ok: true, body: { paymentId, state: "approved", amount: moneyOf(applied.payment), reference } };
  });
}

export function declinePayment(context: SettlementContext, phone: PhoneRow, paymentId: string, request: DecisionRequest): Promise<ShopperResult<DeclineResponse>> {
  return idempotentForPhone(context, phone, `decline:${paymentId}`, request, async (tx, pushed) => {
    const payment = await findPayment(tx, paymentId);
    if (payment === undefined) return refuse("PAYMENT_NOT_FOUND", `no payment ${paymentId}`);
    const applied = await applyPaymentEvent(tx, payment, { type: "decline", phoneId: phone.phoneId, now: context.clock(), reason: null }, pushed);
    if (!applied.ok) return refuse(applied.code, applied.message);
    return { ok: true, body: { paymentId, state: "declined" } };
  });
}
