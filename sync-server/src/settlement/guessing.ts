/**
 * The shell around the guess policy: reads and writes the counters in the request's transaction,
 * and rotates a store's pending codes when wrong guesses against it pile up. Failures against a
 * store are those that name one: a code of its payment claimed by another phone, a code of its
 * recently closed payment, a wrong PIN for its payment. Blind wrong codes name no store; they count
 * against the phone only.
 */
import { clearGuessStateOp, readGuessStateOp, readStoredGuessStateOp, writeGuessStateOp } from "../db/repositories/guess-limits.js";
import { findOpenPaymentByCodeOp, listPendingPaymentsOfStoreOp, replaceOpenCodeOp } from "../db/repositories/payments.js";
import { findStoreOp } from "../db/repositories/stores.js";
import type { Operation } from "../engine/operation.js";
import { newId } from "../ids.js";
import { limits } from "../limits.js";
import { codeCandidates } from "../payments/code-allocator.js";
import { checkGuess, DEFAULT_GUESS_POLICY, NO_FAILURES, recordFailure, type GuessState } from "../payments/guess-policy.js";
import { PROTOCOL_VERSION, type ServerMessage } from "@codepay/contract";
import { newCodeRandomDigits, type Refusal, type SettlementContext } from "./context.js";
import { moneyOf } from "./payment-messages.js";
import type { RegisterAddress } from "./register-address.js";

export interface Notice {
  readonly to: RegisterAddress;
  readonly message: ServerMessage;
}

const phoneSubject = (phoneId: string) => `phone:${phoneId}`;
const storeSubject = (storeId: string) => `store:${storeId}`;

function* blocked(context: SettlementContext, subject: string, code: "PHONE_LOCKED" | "STORE_LOCKED"): Operation<Refusal | undefined> {
  return refusalIfBlocked(context, yield* readGuessStateOp(subject), code);
}

function refusalIfBlocked(context: SettlementContext, state: GuessState, code: "PHONE_LOCKED" | "STORE_LOCKED"): Refusal | undefined {
  const verdict = checkGuess(state, context.clock(), context.guessPolicy ?? DEFAULT_GUESS_POLICY);
  if (!verdict.blocked) return undefined;
  const retryAfterS = Math.ceil(verdict.retryAfterMs / 1_000);
  const what = code === "PHONE_LOCKED" ? "this phone" : "this store";
  const message = verdict.lockedOut ? `too many failed attempts from ${what}: locked for ${retryAfterS} s` : `too many failed attempts from ${what}: wait ${retryAfterS} s`;
  return { ok: false, code, message, retryAfterS };
}

export function phoneBlocked(context: SettlementContext, phoneId: string): Operation<Refusal | undefined> {
  return blocked(context, phoneSubject(phoneId), "PHONE_LOCKED");
}

/** The phone's standing as a request starts: refused if blocked; whether it has counters a success must clear. */
export interface PhoneStanding {
  readonly refusal: Refusal | undefined;
  readonly hasCounters: boolean;
}

export function* phoneStanding(context: SettlementContext, phoneId: string): Operation<PhoneStanding> {
  const stored = yield* readStoredGuessStateOp(phoneSubject(phoneId));
  return { refusal: refusalIfBlocked(context, stored ?? NO_FAILURES, "PHONE_LOCKED"), hasCounters: stored !== undefined };
}

/** The store's standing from counters read with its payment (findClaimablePaymentByCodeOp). */
export function storeRefusal(context: SettlementContext, state: GuessState): Refusal | undefined {
  return refusalIfBlocked(context, state, "STORE_LOCKED");
}

export function* phoneFailed(context: SettlementContext, phoneId: string): Operation<void> {
  const subject = phoneSubject(phoneId);
  const next = recordFailure(yield* readGuessStateOp(subject), context.clock(), context.guessPolicy ?? DEFAULT_GUESS_POLICY);
  yield* writeGuessStateOp(subject, next.state);
}

/**
 * A success clears the phone's failures. A phone with no counters when this transaction read them
 * (nearly every phone) has nothing to delete: the DELETE is skipped. A failure another request of
 * the same phone records meanwhile is then kept, not wiped by this success.
 */
export function* phoneSucceeded(phoneId: string, standing: PhoneStanding): Operation<void> {
  if (standing.hasCounters) yield* clearGuessStateOp(phoneSubject(phoneId));
}

/** Counts a failure against the store; rotates its pending codes when due (notices go out after commit). */
export function* storeFailed(context: SettlementContext, storeId: string, notices: Notice[]): Operation<void> {
  const subject = storeSubject(storeId);
  const next = recordFailure(yield* readGuessStateOp(subject), context.clock(), context.guessPolicy ?? DEFAULT_GUESS_POLICY);
  yield* writeGuessStateOp(subject, next.state);
  if (next.rotate) yield* rotateStoreCodes(context, storeId, notices);
}

/** Fresh codes for every pending (unclaimed) payment of the store; the register hears `payment.issued` again. */
export function* rotateStoreCodes(context: SettlementContext, storeId: string, notices: Notice[]): Operation<number> {
  const now = context.clock();
  const store = yield* findStoreOp(storeId);
  const pending = yield* listPendingPaymentsOfStoreOp(storeId, limits.codeRotationBatchMax);
  let rotated = 0;
  for (const payment of pending) {
    if (payment.expiresAt <= now) continue;
    const allocator = { randomDigits: newCodeRandomDigits(context), allocationAttemptsMax: context.allocationAttemptsMax, randomDigit: context.randomDigit };
    for (const code of codeCandidates(allocator)) {
      if (code === payment.code || (yield* findOpenPaymentByCodeOp(code)) !== undefined) continue;
      if (!(yield* replaceOpenCodeOp(payment.paymentId, payment.code, code, now))) break;
      rotated += 1;
      notices.push({
        to: { storeId: payment.storeId, registerId: payment.registerId },
        message: { v: PROTOCOL_VERSION, type: "payment.issued", inReplyTo: newId(), paymentId: payment.registerPaymentId, code, amount: moneyOf(payment), expiresAt: payment.expiresAt, storeName: store?.name ?? storeId },
      });
      break;
    }
  }
  context.logger.warn({ storeId, rotated }, "wrong guesses against a store: its pending codes were rotated");
  return rotated;
}
