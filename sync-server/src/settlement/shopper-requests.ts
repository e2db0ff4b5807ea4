/**
 * What phones ask through the carrier gateway: claim a code, approve or decline the payment.
 * Results are plain values; the HTTP layer maps refusal codes to statuses.
 */
import { findClaimablePaymentByCodeOp, findPaymentOp, findPaymentToApproveOp, findRecentlyClosedPaymentByCodeOp, type PaymentRow } from "../db/repositories/payments.js";
import { findUserPinHashOp } from "../db/repositories/users.js";
import type { PhoneRow } from "../db/repositories/users.js";
import { together, verifyPin, type Operation } from "../engine/operation.js";
import { phoneBlocked, phoneFailed, phoneStanding, phoneSucceeded, storeFailed, storeRefusal, type Notice } from "./guessing.js";
import { sandboxOutcome } from "./sandbox.js";
import { limits } from "../limits.js";
import { refusalForFinalState } from "../payments/payment-machine.js";
import {
  CODE_RANDOM_DIGITS_MAX,
  hasValidCheckDigit,
  normalizeTypedCode,
  type ApproveResponse,
  type ClaimRequest,
  type ClaimResponse,
  type DecisionRequest,
  type DeclineResponse,
} from "@codepay/contract";
import { applyPaymentEventOp } from "./apply-event.js";
import type { Refusal, SettlementContext } from "./context.js";
import { idempotentOp, requestHash, runSettlement, type AfterCommit } from "./idempotent-transaction.js";
import type { OutboxRow } from "../db/repositories/outbox.js";
import { moneyOf } from "./payment-messages.js";

export type ShopperResult<Body> = { readonly ok: true; readonly body: Body } | Refusal;

function refuse(code: Refusal["code"], message: string): Refusal {
  return { ok: false, code, message };
}

function idempotentForPhone<Body>(
  context: SettlementContext,
  phone: PhoneRow,
  operation: string,
  request: { requestId: string; pin?: string | undefined },
  work: (after: AfterCommit) => Operation<ShopperResult<Body>>,
): Promise<ShopperResult<Body>> {
  // The PIN stays out of the stored hash: a hash of 4-8 digits would give the PIN away.
  const { pin: _pin, ...hashed } = request;
  const key = { scope: `phone:${phone.phoneId}`, requestId: request.requestId, requestHash: requestHash(operation, hashed) };
  return runSettlement(context, function* (after) {
    const outcome = yield* idempotentOp(key, context.clock(), work(after));
    return outcome.kind === "mismatch" ? refuse("IDEMPOTENCY_MISMATCH", "this requestId was used for a different request") : outcome.reply;
  });
}

/**
 * Codes of every length the server may have issued are open at once while the length changes
 * (code-length-sizer.ts): from `--code-digits` to CODE_RANDOM_DIGITS_MAX random digits, plus the
 * check digit. Any other length is a typo, refused like a wrong check digit and not counted.
 */
function hasIssuableShape(context: SettlementContext, code: string): boolean {
  return /^\d+$/.test(code) && code.length >= context.codeRandomDigits + 1 && code.length <= CODE_RANDOM_DIGITS_MAX + 1;
}

export function claimCode(context: SettlementContext, phone: PhoneRow, request: ClaimRequest): Promise<ShopperResult<ClaimResponse>> {
  return idempotentForPhone(context, phone, "claim", request, function* ({ pushed, notices }) {
    const code = normalizeTypedCode(request.code);
    // The check digit is checked before any lookup: a typo never costs a guess against open codes.
    const wellFormed = hasIssuableShape(context, code) && hasValidCheckDigit(code);
    // The phone's counters and the payment its code names are read together (one round trip on
    // PostgreSQL); a blocked phone is refused before anything is decided on what was found.
    const [standing, claimable] = wellFormed ? yield* together(phoneStanding(context, phone.phoneId), findClaimablePaymentByCodeOp(code)) : [yield* phoneStanding(context, phone.phoneId), undefined];
    if (standing.refusal !== undefined) return standing.refusal;
    if (!wellFormed) return refuse("CODE_CHECK_DIGIT", "the code has a typo (check digit or length)");
    const now = context.clock();
    if (claimable === undefined) {
      const closed = yield* findRecentlyClosedPaymentByCodeOp(code, now - limits.closedCodeMemoryMs);
      // A phone asking again about its own payment is not guessing.
      if (closed?.claimedByPhone !== phone.phoneId) yield* phoneFailed(context, phone.phoneId);
      if (closed === undefined) return refuse("CODE_NOT_FOUND", "no open payment has this code");
      if (closed.claimedByPhone !== phone.phoneId) yield* storeFailed(context, closed.storeId, notices);
      const refusal = refusalForFinalState(closed.state);
      return refuse(refusal.code, refusal.message);
    }
    const { payment, storeName, registerName } = claimable;
    const storeLocked = storeRefusal(context, claimable.storeGuesses);
    if (storeLocked !== undefined) return storeLocked;
    const applied = yield* applyPaymentEventOp(payment, { type: "claim", phoneId: phone.phoneId, now }, pushed);
    if (!applied.ok) {
      if (applied.code === "PAYMENT_CLAIMED") {
        yield* phoneFailed(context, phone.phoneId);
        yield* storeFailed(context, payment.storeId, notices);
      }
      return refuse(applied.code, applied.message);
    }
    yield* phoneSucceeded(phone.phoneId, standing);
    return {
      ok: true,
      body: {
        paymentId: payment.paymentId,
        storeName: storeName ?? payment.storeId,
        registerId: payment.registerId,
        registerName: registerName ?? payment.registerId,
        amount: moneyOf(payment),
        expiresAt: payment.expiresAt,
        ...(pinRequired(context, payment.amountMinor) ? { pinRequired: true } : {}),
      },
    };
  });
}

function pinRequired(context: SettlementContext, amountMinor: number): boolean {
  return context.pinThresholdMinor !== undefined && amountMinor >= context.pinThresholdMinor;
}

/** Above the threshold, the claimed payment's approval needs the shopper's PIN; a wrong one counts as a failed guess. */
function* checkPin(context: SettlementContext, phone: PhoneRow, payment: PaymentRow, pin: string | undefined, notices: Notice[]): Operation<Refusal | undefined> {
  if (!pinRequired(context, payment.amountMinor)) return undefined;
  const pinHash = yield* findUserPinHashOp(phone.userId);
  if (pinHash === null) return refuse("PIN_REQUIRED", "this amount needs a PIN and none is set for this shopper");
  if (pin === undefined) return refuse("PIN_REQUIRED", "this amount needs the shopper's PIN");
  if (yield* verifyPin(pin, pinHash)) return undefined;
  yield* phoneFailed(context, phone.phoneId);
  yield* storeFailed(context, payment.storeId, notices);
  return refuse("PIN_WRONG", "the PIN does not match");
}

/** Sandbox magic amounts (settlement/sandbox.ts), applied to a payment this phone may decide on. */
function* sandboxApproval(context: SettlementContext, phone: PhoneRow, payment: PaymentRow, pushed: OutboxRow[]): Operation<Refusal | undefined> {
  const outcome = sandboxOutcome(context.sandbox ?? false, payment.amountMinor);
  if (outcome === undefined) return undefined;
  if (outcome === "timeout") return refuse("SERVER_TIMEOUT", "sandbox: this amount never gets an answer; the payment expires");
  if (outcome === "error") return refuse("INTERNAL", "sandbox: this amount forces a server error; nothing changed");
  const declined = yield* applyPaymentEventOp(payment, { type: "decline", phoneId: phone.phoneId, now: context.clock(), reason: "SANDBOX_FORCED" }, pushed);
  if (!declined.ok) return refuse(declined.code, declined.message);
  return refuse("SANDBOX_FORCED", "sandbox: this amount is always declined");
}

function decidable(payment: PaymentRow, phone: PhoneRow, now: number): boolean {
  return payment.state === "claimed" && payment.claimedByPhone === phone.phoneId && now < payment.expiresAt;
}

export function approvePayment(context: SettlementContext, phone: PhoneRow, paymentId: string, request: DecisionRequest): Promise<ShopperResult<ApproveResponse>> {
  return idempotentForPhone(context, phone, `approve:${paymentId}`, request, function* ({ pushed, notices }) {
    // The phone's counters and the payment with the accounts it would settle between, read
    // together (one round trip on PostgreSQL).
    const [locked, found] = yield* together(phoneBlocked(context, phone.phoneId), findPaymentToApproveOp(paymentId, phone.userId));
    if (locked !== undefined) return locked;
    if (found === undefined) return refuse("PAYMENT_NOT_FOUND", `no payment ${paymentId}`);
    const { payment, accounts } = found;
    if (decidable(payment, phone, context.clock())) {
      const pinRefusal = yield* checkPin(context, phone, payment, request.pin, notices);
      if (pinRefusal !== undefined) return pinRefusal;
      const forced = yield* sandboxApproval(context, phone, payment, pushed);
      if (forced !== undefined) return forced;
    }
    const applied = yield* applyPaymentEventOp(payment, { type: "approve", phoneId: phone.phoneId, approver: phone, accounts, now: context.clock() }, pushed);
    if (!applied.ok) return refuse(applied.code, applied.message);
    const reference = applied.payment.reference;
    if (reference === null) throw new Error(`approved payment ${paymentId} has no transfer reference`);
    return { ok: true, body: { paymentId, state: "approved", amount: moneyOf(applied.payment), reference } };
  });
}

export function declinePayment(context: SettlementContext, phone: PhoneRow, paymentId: string, request: DecisionRequest): Promise<ShopperResult<DeclineResponse>> {
  return idempotentForPhone(context, phone, `decline:${paymentId}`, request, function* ({ pushed }) {
    const payment = yield* findPaymentOp(paymentId);
    if (payment === undefined) return refuse("PAYMENT_NOT_FOUND", `no payment ${paymentId}`);
    const applied = yield* applyPaymentEventOp(payment, { type: "decline", phoneId: phone.phoneId, now: context.clock(), reason: null }, pushed);
    if (!applied.ok) return refuse(applied.code, applied.message);
    return { ok: true, body: { paymentId, state: "declined" } };
  });
}
