/**
 * Posting rules, pure: decide a transfer before any SQL runs (STYLE.md §3). Every posting debits
 * one account and credits another by the same positive integer amount in the same currency, so
 * each currency's balances always sum to zero.
 */
import { AMOUNT_MINOR_MAX } from "@codepay/contract";
import { assert } from "../assert.js";
import type { AccountKind } from "../db/schema.js";

export interface AccountSnapshot {
  readonly id: string;
  readonly kind: AccountKind;
  readonly currency: string;
  readonly balanceMinor: number;
}

export interface Posting {
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly debitBalanceAfterMinor: number;
  readonly creditBalanceAfterMinor: number;
  /** The system (issuance) account is the only one that may go below zero: it is where money enters. */
  readonly debitMayGoNegative: boolean;
}

export type PostingResult =
  | { readonly ok: true; readonly posting: Posting }
  | { readonly ok: false; readonly code: "INSUFFICIENT_FUNDS" | "CURRENCY_MISMATCH"; readonly message: string };

function post(debit: AccountSnapshot, credit: AccountSnapshot, amountMinor: number, currency: string): PostingResult {
  // Bad amounts are caught by the schemas at the edge; reaching here with one is a bug.
  assert(Number.isSafeInteger(amountMinor) && amountMinor > 0 && amountMinor <= AMOUNT_MINOR_MAX, `bad amount ${amountMinor}`);
  assert(debit.id !== credit.id, "a posting needs two different accounts");
  if (debit.currency !== currency || credit.currency !== currency) {
    return { ok: false, code: "CURRENCY_MISMATCH", message: `accounts in ${debit.currency}/${credit.currency}, amount in ${currency}` };
  }
  const debitMayGoNegative = debit.kind === "system";
  const debitBalanceAfterMinor = debit.balanceMinor - amountMinor;
  if (!debitMayGoNegative && debitBalanceAfterMinor < 0) {
    return { ok: false, code: "INSUFFICIENT_FUNDS", message: "the account cannot cover the amount" };
  }
  const creditBalanceAfterMinor = credit.balanceMinor + amountMinor;
  assert(Number.isSafeInteger(creditBalanceAfterMinor), "balance left the safe integer range");
  // Two-sided: what leaves one account arrives in the other.
  assert(debit.balanceMinor + credit.balanceMinor === debitBalanceAfterMinor + creditBalanceAfterMinor, "posting does not sum to zero");
  return {
    ok: true,
    posting: { debitAccountId: debit.id, creditAccountId: credit.id, amountMinor, currency, debitBalanceAfterMinor, creditBalanceAfterMinor, debitMayGoNegative },
  };
}

/** A shopper pays a store. */
export function paymentPosting(shopper: AccountSnapshot, store: AccountSnapshot, amountMinor: number, currency: string): PostingResult {
  assert(shopper.kind === "user" && store.kind === "store", "a payment moves money from a user to a store");
  return post(shopper, store, amountMinor, currency);
}

/** Money enters the system: the issuance account goes negative by what users hold. */
export function topUpPosting(issuance: AccountSnapshot, user: AccountSnapshot, amountMinor: number, currency: string): PostingResult {
  assert(issuance.kind === "system" && user.kind === "user", "a top-up moves money from the system to a user");
  return post(issuance, user, amountMinor, currency);
}

/** The id of the system account money is issued from. */
export const ISSUANCE_OWNER_ID = "issuance";

/**
 * A void or refund: the store gives back (part of) what a payment moved, to the same shopper account.
 * The reversal is checked against the original in the caller (at most what is left of it).
 */
export function reversalPosting(store: AccountSnapshot, shopper: AccountSnapshot, amountMinor: number, currency: string): PostingResult {
  assert(store.kind === "store" && shopper.kind === "user", "a reversal moves money from a store back to a user");
  return post(store, shopper, amountMinor, currency);
}
