/**
 * The wallet's three reads for an authenticated phone (contract/src/wallet.ts): balances, history
 * pages, one receipt. The answer is a ShopperReply like the operations' (status and JSON body, errors
 * in ErrorBody), sent by the shopper API's GET routes. Reads run on the database directly, outside
 * the settlement engine: they change nothing, so they neither wait for nor slow a batch.
 */
import { ClientIdSchema, WALLET_PAGE_ROWS_DEFAULT, WalletHistoryQuerySchema, type WalletHistoryPage, type WalletResponse } from "@codepay/contract";
import type { Queryable } from "../db/database.js";
import type { PhoneRow } from "../db/repositories/users.js";
import { walletBalances, walletPayment, walletPaymentsPage, walletReversals } from "../db/repositories/wallet.js";
import { errorReply, type ShopperReply } from "./shopper-operations.js";
import { decodeWalletCursor, encodeWalletCursor, toWalletPayment, toWalletReceipt } from "./wallet-views.js";

export async function readWallet(db: Queryable, phone: PhoneRow): Promise<ShopperReply> {
  const balances = await walletBalances(db, phone.userId);
  const body: WalletResponse = { balances: balances.map((row) => ({ currency: row.currency, minor: row.balanceMinor })) };
  return { status: 200, body };
}

export async function readWalletHistory(db: Queryable, phone: PhoneRow, query: unknown): Promise<ShopperReply> {
  const parsed = WalletHistoryQuerySchema.safeParse(query ?? {});
  if (!parsed.success) return errorReply("BAD_REQUEST", `bad query: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`.trim());
  const before = parsed.data.before === undefined ? undefined : decodeWalletCursor(parsed.data.before);
  if (parsed.data.before !== undefined && before === undefined) return errorReply("BAD_REQUEST", "bad query: before must be the `next` of a previous page");
  const limit = parsed.data.limit ?? WALLET_PAGE_ROWS_DEFAULT;
  // One row more than asked says whether an older page exists.
  const rows = await walletPaymentsPage(db, phone.userId, before, limit + 1);
  const page = rows.slice(0, limit);
  const reversals = await walletReversals(db, page.map((row) => row.paymentId));
  const last = page.at(-1);
  const body: WalletHistoryPage = {
    payments: page.map((row) => toWalletPayment(row, reversals)),
    ...(rows.length > limit && last !== undefined ? { next: encodeWalletCursor({ createdAt: last.createdAt, paymentId: last.paymentId }) } : {}),
  };
  return { status: 200, body };
}

export async function readWalletReceipt(db: Queryable, phone: PhoneRow, paymentId: unknown): Promise<ShopperReply> {
  const id = ClientIdSchema.safeParse(paymentId);
  if (!id.success) return errorReply("BAD_REQUEST", "bad paymentId");
  const row = await walletPayment(db, phone.userId, id.data);
  // Another user's payment looks exactly like one that does not exist.
  if (row === undefined) return errorReply("PAYMENT_NOT_FOUND", `no payment ${id.data} in this wallet`);
  return { status: 200, body: toWalletReceipt(row, await walletReversals(db, [row.paymentId])) };
}
