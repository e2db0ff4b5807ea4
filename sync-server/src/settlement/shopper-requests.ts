/**
 * What phones ask through the carrier gateway: claim a code, approve or decline the payment.
 * Results are plain values; the HTTP layer maps refusal codes to statuses.
 */
import type { Tx } from "../db/database.js";
import type { OutboxRow } from "../db/repositories/outbox.js";
import { findClaimablePaymentByCode, findPayment, findRecentlyClosedPaymentByCode, type PaymentRow } from "../db/repositories/payments.js";
import { findUserPinHash } from "../db/repositories/users.js";
import { verifyPassword } from "../auth/password-hash.js";
import { deliverNotices, phoneBlocked, phoneFailed, phoneStanding, phoneSucceeded, storeBlocked, storeFailed, type Notice } from "./guessing.js";
import { sandboxOutcome } from "./sandbox.js";
import type { PhoneRow } from "../db/repositories/users.js";
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
  request: { requestId: string; pin?: string | undefined },
  run: (tx: Tx, pushed: OutboxRow[], notices: Notice[]) => Promise<ShopperResult<Body>>,
): Promise<ShopperResult<Body>> {
  const notices: Notice[] = [];
  // The PIN stays out of the stored hash: a hash of 4-8 digits would give the PIN away.
  const { pin: _pin, ...hashed } = request;
  const outcome = await runIdempotent<ShopperResult<Body>>(context, {
    scope: `phone:${phone.phoneId}`,
    requestId: request.requestId,
    requestHash: requestHash(operation, hashed),
    run: (tx, pushed) => run(tx, pushed, notices),
  });
  deliverNotices(context, notices);
  if (outcome.kind === "mismatch") return refuse("IDEMPOTENCY_MISMATCH", "this requestId was used for a different request");
  return outcome.reply;
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
  return idempotentForPhone(context, phone, "claim", request, async (tx, pushed, notices) => {
    const standing = await phoneStanding(tx, context, phone.phoneId);
    if (standing.refusal !== undefined) return standing.refusal;
    const code = normalizeTypedCode(request.code);
    // The check digit is checked before any lookup: a typo never costs a guess against open codes.
    if (!hasIssuableShape(context, code) || !hasValidCheckDigit(code)) return refuse("CODE_CHECK_DIGIT", "the code has a typo (check digit or length)");
    const now = context.clock();
    const claimable = await findClaimablePaymentByCode(tx, code);
    if (claimable === undefined) {
      const closed = await findRecentlyClosedPaymentByCode(tx, code, now - limits.closedCodeMemoryMs);
      // A phone asking again about its own payment is not guessing.
      if (closed?.claimedByPhone !== phone.phoneId) await phoneFailed(tx, context, phone.phoneId);
      if (closed === undefined) return refuse("CODE_NOT_FOUND", "no open payment has this code");
      if (closed.claimedByPhone !== phone.phoneId) await storeFailed(tx, context, closed.storeId, notices);
      const refusal = refusalForFinalState(closed.state);
      return refuse(refusal.code, refusal.message);
    }
    const { payment, storeName, registerName } = claimable;
    const storeLocked = await storeBlocked(tx, context, payment.storeId);
    if (storeLocked !== undefined) return storeLocked;
    const applied = await applyPaymentEvent(tx, payment, { type: "claim", phoneId: phone.phoneId, now }, pushed);
    if (!applied.ok) {
      if (applied.code === "PAYMENT_CLAIMED") {
        await phoneFailed(tx, context, phone.phoneId);
        await storeFailed(tx, context, payment.storeId, notices);
      }
      return refuse(applied.code, applied.message);
    }
    await phoneSucceeded(tx, phone.phoneId, standing);
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
async function checkPin(tx: Tx, context: SettlementContext, phone: PhoneRow, payment: PaymentRow, pin: string | undefined, notices: Notice[]): Promise<Refusal | undefined> {
  if (!pinRequired(context, payment.amountMinor)) return undefined;
  const pinHash = await findUserPinHash(tx, phone.userId);
  if (pinHash === null) return refuse("PIN_REQUIRED", "this amount needs a PIN and none is set for this shopper");
  if (pin === undefined) return refuse("PIN_REQUIRED", "this amount needs the shopper's PIN");
  if (await verifyPassword(pin, pinHash)) return undefined;
  await phoneFailed(tx, context, phone.phoneId);
  await storeFailed(tx, context, payment.storeId, notices);
  return refuse("PIN_WRONG", "the PIN does not match");
}

/** Sandbox magic amounts (settlement/sandbox.ts), applied to a payment this phone may decide on. */
async function sandboxApproval(tx: Tx, context: SettlementContext, phone: PhoneRow, payment: PaymentRow, pushed: OutboxRow[]): Promise<Refusal | undefined> {
  const outcome = sandboxOutcome(context.sandbox ?? false, payment.amountMinor);
  if (outcome === undefined) return undefined;
  if (outcome === "timeout") return refuse("SERVER_TIMEOUT", "sandbox: this amount never gets an answer; the payment expires");
  if (outcome === "error") return refuse("INTERNAL", "sandbox: this amount forces a server error; nothing changed");
  const declined = await applyPaymentEvent(tx, payment, { type: "decline", phoneId: phone.phoneId, now: context.clock(), reason: "SANDBOX_FORCED" }, pushed);
  if (!declined.ok) return refuse(declined.code, declined.message);
  return refuse("SANDBOX_FORCED", "sandbox: this amount is always declined");
}

function decidable(payment: PaymentRow, phone: PhoneRow, now: number): boolean {
  return payment.state === "claimed" && payment.claimedByPhone === phone.phoneId && now < payment.expiresAt;
}

export function approvePayment(context: SettlementContext, phone: PhoneRow, paymentId: string, request: DecisionRequest): Promise<ShopperResult<ApproveResponse>> {
  return idempotentForPhone(context, phone, `approve:${paymentId}`, request, async (tx, pushed, notices) => {
    const locked = await phoneBlocked(tx, context, phone.phoneId);
    if (locked !== undefined) return locked;
    const payment = await findPayment(tx, paymentId);
    if (payment === undefined) return refuse("PAYMENT_NOT_FOUND", `no payment ${paymentId}`);
    if (decidable(payment, phone, context.clock())) {
      const pinRefusal = await checkPin(tx, context, phone, payment, request.pin, notices);
      if (pinRefusal !== undefined) return pinRefusal;
      const forced = await sandboxApproval(tx, context, phone, payment, pushed);
      if (forced !== undefined) return forced;
    }
    const applied = await applyPaymentEvent(tx, payment, { type: "approve", phoneId: phone.phoneId, approver: phone, now: context.clock() }, pushed);
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
