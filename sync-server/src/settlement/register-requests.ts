/**
 * What registers ask over the dedicated line: create, cancel, status, acknowledge a result.
 * Each function returns the reply to publish (or nothing); pushed results are delivered by the
 * context after commit.
 */
import type { Tx } from "../db/database.js";
import { markOutboxAckedOp, type OutboxRow } from "../db/repositories/outbox.js";
import { findOpenPaymentOfRegisterOp, findRegisterPayment, findRegisterPaymentOp, insertOpenPaymentOp, type PaymentRow } from "../db/repositories/payments.js";
import { findStoreOp } from "../db/repositories/stores.js";
import type { Operation } from "../engine/operation.js";
import { codeCandidates } from "../payments/code-allocator.js";
import { isOpen } from "../payments/payment-machine.js";
import {
  PROTOCOL_VERSION,
  type CancelPayment,
  type CreatePayment,
  type ErrorCode,
  type PaymentStatusRequest,
  type RequestError,
  type ResultAck,
  type ServerMessage,
} from "@codepay/contract";
import { applyPaymentEventOp, expireIfDueOp } from "./apply-event.js";
import { newCodeRandomDigits, type SettlementContext } from "./context.js";
import type { RegisterAddress } from "./register-address.js";
import { idempotentOp, requestHash, runIdempotent, runSettlement, type AfterCommit } from "./idempotent-transaction.js";
import { paymentStateMessage } from "./payment-messages.js";
import { serverPaymentIdOp } from "./payment-names.js";

export type { RegisterAddress } from "./register-address.js";

export function requestError(code: ErrorCode, message: string, inReplyTo?: string): RequestError {
  return { v: PROTOCOL_VERSION, type: "error", ...(inReplyTo !== undefined ? { inReplyTo } : {}), error: { code, message } };
}

function registerScope(register: RegisterAddress): string {
  return `register:${register.registerId}`;
}

/** Off the hot path (card payments, voids, refunds, reports): interactive Kysely work in its own transaction. */
export async function idempotentReply(
  context: SettlementContext,
  register: RegisterAddress,
  request: { requestId: string },
  run: (tx: Tx, pushed: OutboxRow[]) => Promise<ServerMessage>,
): Promise<ServerMessage> {
  const outcome = await runIdempotent<ServerMessage>(context, {
    scope: registerScope(register),
    requestId: request.requestId,
    requestHash: requestHash("register-request", request),
    run,
  });
  if (outcome.kind === "mismatch") return mismatch(request.requestId);
  return outcome.reply;
}

function mismatch(requestId: string): RequestError {
  return requestError("IDEMPOTENCY_MISMATCH", "this requestId was used for a different request", requestId);
}

/** The hot path's idempotent frame for a register request: the work as an operation, run by runSettlement. */
function idempotentRegisterReply(
  context: SettlementContext,
  register: RegisterAddress,
  request: { requestId: string },
  work: (after: AfterCommit) => Operation<ServerMessage>,
): Promise<ServerMessage> {
  const key = { scope: registerScope(register), requestId: request.requestId, requestHash: requestHash("register-request", request) };
  return runSettlement(context, function* (after) {
    const outcome = yield* idempotentOp(key, context.clock(), work(after));
    return outcome.kind === "mismatch" ? mismatch(request.requestId) : outcome.reply;
  });
}

/** The register's payment by the register's own id for it; another register's payments are not there to find. */
export function findOwnPayment(tx: Tx, register: RegisterAddress, registerPaymentId: string): Promise<PaymentRow | undefined> {
  return findRegisterPayment(tx, register.registerId, registerPaymentId);
}

function findOwnPaymentOp(register: RegisterAddress, registerPaymentId: string): Operation<PaymentRow | undefined> {
  return findRegisterPaymentOp(register.registerId, registerPaymentId);
}

export function createPayment(context: SettlementContext, register: RegisterAddress, request: CreatePayment): Promise<ServerMessage> {
  return idempotentRegisterReply(context, register, request, (after) => createPaymentOp(context, register, request, after));
}

function* createPaymentOp(context: SettlementContext, register: RegisterAddress, request: CreatePayment, after: AfterCommit): Operation<ServerMessage> {
  const store = yield* findStoreOp(register.storeId);
  if (store === undefined) return requestError("UNKNOWN_REGISTER", `store ${register.storeId} is not enrolled`, request.requestId);
  if (store.currency !== request.amount.currency) {
    return requestError("CURRENCY_MISMATCH", `store takes ${store.currency}, not ${request.amount.currency}`, request.requestId);
  }
  const now = context.clock();
  // One open payment per register: the ones the register has already asked to cancel make way first.
  for (const replaced of request.replaces ?? []) {
    if (replaced === request.paymentId) continue;
    const payment = yield* findOwnPaymentOp(register, replaced);
    if (payment !== undefined && isOpen(payment.state)) yield* applyPaymentEventOp(payment, { type: "cancel", now }, after.pushed);
  }
  const expiresAt = now + context.codeTtlMs;
  const allocator = { randomDigits: newCodeRandomDigits(context), allocationAttemptsMax: context.allocationAttemptsMax, randomDigit: context.randomDigit };
  // The server's name for the payment is the register's until another register's payment turns out to hold it (payment-names.ts).
  let paymentId = request.paymentId;
  for (const code of codeCandidates(allocator)) {
    const inserted = yield* insertOpenPaymentOp({
      paymentId,
      registerPaymentId: request.paymentId,
      storeId: register.storeId,
      registerId: register.registerId,
      amountMinor: request.amount.minor,
      currency: request.amount.currency,
      code,
      state: "pending",
      reason: null,
      expiresAt,
      claimedByPhone: null,
      reference: null,
      linesJson: request.lines === undefined ? null : JSON.stringify(request.lines),
      createdAt: now,
      updatedAt: now,
    });
    if (inserted) {
      return { v: PROTOCOL_VERSION, type: "payment.issued", inReplyTo: request.requestId, paymentId: request.paymentId, code, amount: request.amount, expiresAt, storeName: store.name };
    }
    // Not inserted, and told apart only now: this register already used the id; another of its payments
    // is still open (UNIQUE(open_register)); another payment holds the id as its server name (this one
    // takes a fresh name, and the register is told nothing of it); or the code is open elsewhere (draw another).
    if ((yield* findOwnPaymentOp(register, request.paymentId)) !== undefined) {
      return requestError("PAYMENT_EXISTS", `paymentId ${request.paymentId} is already used on this register`, request.requestId);
    }
    const open = yield* findOpenPaymentOfRegisterOp(register.registerId);
    if (open !== undefined && isOpen((yield* expireIfDueOp(open, now, after.pushed)).state)) {
      return requestError("PAYMENT_IN_PROGRESS", `payment ${open.registerPaymentId} is still open on this register: cancel it, or name it in replaces`, request.requestId);
    }
    if (open !== undefined) continue; // its time was up: it is expired now, and the next try can take its place
    if (paymentId === request.paymentId) paymentId = yield* serverPaymentIdOp(request.paymentId);
  }
  context.logger.error({ registerId: register.registerId, attempts: context.allocationAttemptsMax }, "no free payment code: the code space is crowded");
  return requestError("CODE_ALLOCATION_FAILED", "no free payment code, try again", request.requestId);
}

export function cancelPayment(context: SettlementContext, register: RegisterAddress, request: CancelPayment): Promise<ServerMessage> {
  return idempotentRegisterReply(context, register, request, function* (after) {
    const payment = yield* findOwnPaymentOp(register, request.paymentId);
    if (payment === undefined) return requestError("PAYMENT_NOT_FOUND", `no payment ${request.paymentId} on this register`, request.requestId);
    const applied = yield* applyPaymentEventOp(payment, { type: "cancel", now: context.clock() }, after.pushed);
    // Cancelling a final payment is not an error for the register: it learns where the payment stands.
    return paymentStateMessage(applied.payment, { inReplyTo: request.requestId });
  });
}

/** Read-mostly: expires the payment if due, so the answer never says "pending" past its time. */
export function paymentStatus(context: SettlementContext, register: RegisterAddress, request: PaymentStatusRequest): Promise<ServerMessage> {
  return runSettlement(context, function* (after) {
    const payment = yield* findOwnPaymentOp(register, request.paymentId);
    if (payment === undefined) return requestError("PAYMENT_NOT_FOUND", `no payment ${request.paymentId} on this register`, request.requestId);
    const current = yield* expireIfDueOp(payment, context.clock(), after.pushed);
    return paymentStateMessage(current, { inReplyTo: request.requestId });
  });
}

/** No reply: the register only stops hearing the result again (an unknown or repeated ack changes nothing). */
export async function acknowledgeResult(context: SettlementContext, register: RegisterAddress, request: ResultAck): Promise<void> {
  await runSettlement(context, () => markOutboxAckedOp(request.resultId, register.registerId, request.paymentId, context.clock()));
}
