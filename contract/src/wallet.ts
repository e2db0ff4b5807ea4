/**
 * The shopper's wallet: what a phone reads about its own account through the carrier gateway,
 * authenticated as every shopper request is (Authorization: Bearer <subscriber credential> at the
 * gateway, a signed assertion behind it). Read only; docs/protocol.md "Wallet" has the examples.
 *
 *   GET /api/v1/wallet                                -> WalletResponse (balance per currency)
 *   GET /api/v1/wallet/payments?limit=&before=        -> WalletHistoryPage (newest first, keyset pages)
 *   GET /api/v1/wallet/payments/:paymentId            -> WalletReceipt (the digital receipt)
 *
 * A phone sees the payments its user's phones claimed and nothing else: another user's payment
 * answers 404 PAYMENT_NOT_FOUND exactly as a payment that does not exist. Errors use ErrorBody.
 */
import { z } from "zod";
import { ClientIdSchema, MoneySchema, PAYMENT_STATES, ReceiptLineSchema, TENDERS } from "./messages.js";
import { CURRENCY_CODES } from "./money.js";

export const WALLET_PATH = "/wallet";
export const WALLET_PAYMENTS_PATH = "/wallet/payments";
/** Rows a history page holds when the request does not say; at most WALLET_PAGE_ROWS_MAX. */
export const WALLET_PAGE_ROWS_DEFAULT = 10;
export const WALLET_PAGE_ROWS_MAX = 50;

/** A balance may be zero (Money's minor is positive: amounts of payments, not of accounts). */
export const WalletBalanceSchema = z.object({
  currency: z.enum(CURRENCY_CODES as [string, ...string[]]),
  minor: z.number().int().min(0),
});

export const WalletResponseSchema = z.object({
  balances: z.array(WalletBalanceSchema),
});
export type WalletResponse = z.infer<typeof WalletResponseSchema>;

/** `?limit=1..50&before=<cursor from the previous page's next>`; both optional. */
export const WalletHistoryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(WALLET_PAGE_ROWS_MAX).optional(),
  before: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "must be the `next` of a previous page").optional(),
}).strict();

/** A void or a refund of the payment: what came back to the shopper's balance, and when. */
export const WalletReversalSchema = z.object({
  kind: z.enum(["void", "refund"]),
  amount: MoneySchema,
  at: z.number().int(),
});

export const WalletPaymentSchema = z.object({
  paymentId: ClientIdSchema,
  storeName: z.string(),
  registerName: z.string(),
  amount: MoneySchema,
  state: z.enum(PAYMENT_STATES),
  /** Epoch milliseconds: when the register asked for the payment. */
  createdAt: z.number().int(),
  /** Epoch milliseconds of the approval (the settling transfer); absent unless approved or voided. */
  approvedAt: z.number().int().optional(),
  /** The ledger reference of the approval, and its short form for people (short-reference.ts). */
  reference: z.string().optional(),
  shortReference: z.string().optional(),
  /** Voids and refunds, oldest first; `refundedMinor` is their sum. */
  refunds: z.array(WalletReversalSchema),
  refundedMinor: z.number().int().min(0),
});
export type WalletPayment = z.infer<typeof WalletPaymentSchema>;

export const WalletHistoryPageSchema = z.object({
  payments: z.array(WalletPaymentSchema),
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next: z.string().optional(),
});
export type WalletHistoryPage = z.infer<typeof WalletHistoryPageSchema>;

/** The digital receipt: the payment and the lines the register sent with `payment.create` (and printed). */
export const WalletReceiptSchema = WalletPaymentSchema.extend({
  storeId: z.string(),
  registerId: z.string(),
  lines: z.array(ReceiptLineSchema),
  tender: z.enum(TENDERS),
  /** Card payments only: never more than the last 4 digits. */
  cardLast4: z.string().regex(/^\d{4}$/).optional(),
});
export type WalletReceipt = z.infer<typeof WalletReceiptSchema>;
