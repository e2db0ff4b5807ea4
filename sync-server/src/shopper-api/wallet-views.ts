/**
 * The wallet's answers built from database rows (db/repositories/wallet.ts): pure, no I/O.
 * - the history cursor: an opaque `before` that names the last payment of a page;
 * - a payment, its refunds and its short reference as the phone sees them;
 * - the digital receipt: the same lines the register sent with `payment.create` and printed.
 */
import { ReceiptLineSchema, isCurrencyCode, shortReference, type CurrencyCode, type WalletPayment, type WalletReceipt } from "@codepay/contract";
import { assert } from "../assert.js";
import type { z } from "zod";
import type { WalletPageKey, WalletPaymentRow, WalletReversalRow } from "../db/repositories/wallet.js";

type ReceiptLine = z.infer<typeof ReceiptLineSchema>;

/** `before` for the page after the one ending at `key`: base64url of "createdAt.paymentId". */
export function encodeWalletCursor(key: WalletPageKey): string {
  return Buffer.from(`${key.createdAt}.${key.paymentId}`, "utf8").toString("base64url");
}

/** The page key a cursor names, or undefined: not a cursor this server made. */
export function decodeWalletCursor(cursor: string): WalletPageKey | undefined {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{8,64})$/.exec(text);
  if (match === null) return undefined;
  return { createdAt: Number(match[1]), paymentId: match[2] as string };
}

/** The lines as stored (JSON of ReceiptLine[]); a row without lines, or with lines that do not parse, has none. */
export function receiptLinesOf(linesJson: string | null): ReceiptLine[] {
  if (linesJson === null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(linesJson);
  } catch {
    return [];
  }
  const lines = ReceiptLineSchema.array().safeParse(parsed);
  return lines.success ? lines.data : [];
}

/** Money of a stored row: the database only holds currencies the contract lists (stores and accounts are made with them). */
function money(minor: number, currency: string): { minor: number; currency: CurrencyCode } {
  assert(isCurrencyCode(currency), `a stored amount has unknown currency ${currency}`);
  return { minor, currency };
}

export function toWalletPayment(row: WalletPaymentRow, reversals: readonly WalletReversalRow[]): WalletPayment {
  const refunds = reversals
    .filter((reversal) => reversal.paymentId === row.paymentId)
    .map((reversal) => ({ kind: reversal.kind, amount: money(reversal.amountMinor, reversal.currency), at: reversal.createdAt }));
  return {
    paymentId: row.paymentId,
    storeName: row.storeName,
    registerName: row.registerName,
    amount: money(row.amountMinor, row.currency),
    state: row.state,
    createdAt: row.createdAt,
    ...(row.approvedAt !== null ? { approvedAt: row.approvedAt } : {}),
    ...(row.reference !== null ? { reference: row.reference, shortReference: shortReference(row.reference) } : {}),
    refunds,
    refundedMinor: refunds.reduce((sum, refund) => sum + refund.amount.minor, 0),
  };
}

export function toWalletReceipt(row: WalletPaymentRow, reversals: readonly WalletReversalRow[]): WalletReceipt {
  return {
    ...toWalletPayment(row, reversals),
    storeId: row.storeId,
    registerId: row.registerId,
    lines: receiptLinesOf(row.linesJson),
    tender: row.tender,
    ...(row.cardLast4 !== null ? { cardLast4: row.cardLast4 } : {}),
  };
}
