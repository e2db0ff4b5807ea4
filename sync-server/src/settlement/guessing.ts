/**
 * The shell around the guess policy: reads and writes the counters in the request's transaction,
 * and rotates a store's pending codes when wrong guesses against it pile up. Failures against a
 * store are those that name one: a code of its payment claimed by another phone, a code of its
 * recently closed payment, a wrong PIN for its payment. Blind wrong codes name no store; they count
 * against the phone only.
 */
import type { Tx } from "../db/database.js";
import { clearGuessState, readGuessState, readStoredGuessState, writeGuessState } from "../db/repositories/guess-limits.js";
import { findOpenPaymentByCode, listPendingPaymentsOfStore, replaceOpenCode } from "../db/repositories/payments.js";
import { findStore } from "../db/repositories/stores.js";
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

async function blocked(tx: Tx, context: SettlementContext, subject: string, code: "PHONE_LOCKED" | "STORE_LOCKED"): Promise<Refusal | undefined> {
  return refusalIfBlocked(context, await readGuessState(tx, subject), code);
}

function refusalIfBlocked(context: SettlementContext, state: GuessState, code: "PHONE_LOCKED" | "STORE_LOCKED"): Refusal | undefined {
  const verdict = checkGuess(state, context.clock(), (context.guessPolicy ?? DEFAULT_GUESS_POLICY));
  if (!verdict.blocked) return undefined;
  const retryAfterS = Math.ceil(verdict.retryAfterMs / 1_000);
  const what = code === "PHONE_LOCKED" ? "this phone" : "this store";
  const message = verdict.lockedOut ? `too many failed attempts from ${what}: locked for ${retryAfterS} s` : `too many failed attempts from ${what}: wait ${retryAfterS} s`;
  return { ok: false, code, message, retryAfterS };
}

export function phoneBlocked(tx: Tx, context: SettlementContext, phoneId: string): Promise<Refusal | undefined> {
  return blocked(tx, context, phoneSubject(phoneId), "PHONE_LOCKED");
}

/** The phone's standing as a request starts: refused if blocked; whether it has counters a success must clear. */
export interface PhoneStanding {
  readonly refusal: Refusal | undefined;
  readonly hasCounters: boolean;
}

export async function phoneStanding(tx: Tx, context: SettlementContext, phoneId: string): Promise<PhoneStanding> {
  const stored = await readStoredGuessState(tx, phoneSubject(phoneId));
  return { refusal: refusalIfBlocked(context, stored ?? NO_FAILURES, "PHONE_LOCKED"), hasCounters: stored !== undefined };
}

export function storeBlocked(tx: Tx, context: SettlementContext, storeId: string): Promise<Refusal | undefined> {
  return blocked(tx, context, storeSubject(storeId), "STORE_LOCKED");
}

export async function phoneFailed(tx: Tx, context: SettlementContext, phoneId: string): Promise<void> {
  const subject = phoneSubject(phoneId);
  const next = recordFailure(await readGuessState(tx, subject), context.clock(), (context.guessPolicy ?? DEFAULT_GUESS_POLICY));
  await writeGuessState(tx, subject, next.state);
}

/**
 * A success clears the phone's failures. A phone with no counters when this transaction read them
 * (nearly every phone) has nothing to delete: the DELETE is skipped. A failure another request of
 * the same phone records meanwhile is then kept, not wiped by this success.
 */
export async function phoneSucceeded(tx: Tx, phoneId: string, standing: PhoneStanding): Promise<void> {
  if (standing.hasCounters) await clearGuessState(tx, phoneSubject(phoneId));
}

/** Counts a failure against the store; rotates its pending codes when due (notices go out after commit). */
export async function storeFailed(tx: Tx, context: SettlementContext, storeId: string, notices: Notice[]): Promise<void> {
  const subject = storeSubject(storeId);
  const next = recordFailure(await readGuessState(tx, subject), context.clock(), (context.guessPolicy ?? DEFAULT_GUESS_POLICY));
  await writeGuessState(tx, subject, next.state);
  if (next.rotate) await rotateStoreCodes(tx, context, storeId, notices);
}

/** Fresh codes for every pending (unclaimed) payment of the store; the register hears `payment.issued` again. */
export async function rotateStoreCodes(tx: Tx, context: SettlementContext, storeId: string, notices: Notice[]): Promise<number> {
  const now = context.clock();
  const store = await findStore(tx, storeId);
  const pending = await listPendingPaymentsOfStore(tx, storeId, limits.codeRotationBatchMax);
  let rotated = 0;
  for (const payment of pending) {
    if (payment.expiresAt <= now) continue;
    const allocator = { randomDigits: newCodeRandomDigits(context), allocationAttemptsMax: context.allocationAttemptsMax, randomDigit: context.randomDigit };
    for (const code of codeCandidates(allocator)) {
      if (code === payment.code || (await findOpenPaymentByCode(tx, code)) !== undefined) continue;
      if (!(await replaceOpenCode(tx, payment.paymentId, payment.code, code, now))) break;
      rotated += 1;
      notices.push({
        to: { storeId: payment.storeId, registerId: payment.registerId },
        message: { v: PROTOCOL_VERSION, type: "payment.issued", inReplyTo: newId(), paymentId: payment.paymentId, code, amount: moneyOf(payment), expiresAt: payment.expiresAt, storeName: store?.name ?? storeId },
      });
      break;
    }
  }
  context.logger.warn({ storeId, rotated }, "wrong guesses against a store: its pending codes were rotated");
  return rotated;
}

export function deliverNotices(context: SettlementContext, notices: readonly Notice[]): void {
  for (const notice of notices) context.notifyRegister?.(notice.to, notice.message);
}
