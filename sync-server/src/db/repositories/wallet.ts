/**
 * The shopper wallet's reads (shopper-api/wallet-reads.ts): a user's balances, their payments newest
 * first in keyset pages, one payment with its receipt lines, and the voids and refunds of payments.
 * Plain Kysely reads on the database, never inside the settlement engine's batches (they change
 * nothing and need no lock), so the same code runs on SQLite and PostgreSQL. The indexes they use
 * come with migration 0004-wallet-history.
 */
import type { PaymentState, Tender } from "@codepay/contract";
import type { Queryable } from "../database.js";
import type { ReversalKind } from "../schema.js";

export interface WalletBalanceRow {
  readonly currency: string;
  readonly balanceMinor: number;
}

/** A payment as the wallet shows it: the row, the names of its store and register, when it settled. */
export interface WalletPaymentRow {
  readonly paymentId: string;
  readonly storeId: string;
  readonly storeName: string;
  readonly registerId: string;
  readonly registerName: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly state: PaymentState;
  readonly createdAt: number;
  readonly reference: string | null;
  /** The settling transfer's time; null unless approved (or approved, then voided). */
  readonly approvedAt: number | null;
  readonly linesJson: string | null;
  readonly tender: Tender;
  readonly cardLast4: string | null;
}

export interface WalletReversalRow {
  readonly paymentId: string;
  readonly kind: ReversalKind;
  readonly amountMinor: number;
  readonly currency: string;
  readonly createdAt: number;
}

/** Where a page starts: strictly older than this payment (created_at, then payment_id, both descending). */
export interface WalletPageKey {
  readonly createdAt: number;
  readonly paymentId: string;
}

export async function walletBalances(db: Queryable, userId: string): Promise<WalletBalanceRow[]> {
  const rows = await db.selectFrom("accounts").select(["currency", "balance_minor"]).where("kind", "=", "user").where("owner_id", "=", userId).orderBy("currency").execute();
  return rows.map((row) => ({ currency: row.currency, balanceMinor: Number(row.balance_minor) }));
}

/** Payments claimed by any of the user's phones, with store and register names and the settling transfer's time. */
function userPayments(db: Queryable, userId: string) {
  return db
    .selectFrom("payments as p")
    .innerJoin("stores as s", "s.id", "p.store_id")
    .innerJoin("registers as r", "r.id", "p.register_id")
    .leftJoin("transfers as t", "t.id", "p.reference")
    .select([
      "p.payment_id",
      "p.store_id",
      "s.name as store_name",
      "p.register_id",
      "r.name as register_name",
      "p.amount_minor",
      "p.currency",
      "p.state",
      "p.created_at",
      "p.reference",
      "t.created_at as approved_at",
      "p.lines_json",
      "p.tender",
      "p.card_last4",
    ])
    .where("p.claimed_by_phone", "in", (phones) => phones.selectFrom("phones").select("phone_id").where("user_id", "=", userId));
}

type UserPaymentSelection = Awaited<ReturnType<ReturnType<typeof userPayments>["execute"]>>[number];

function toWalletPaymentRow(row: UserPaymentSelection): WalletPaymentRow {
  return {
    paymentId: row.payment_id,
    storeId: row.store_id,
    storeName: row.store_name,
    registerId: row.register_id,
    registerName: row.register_name,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    state: row.state,
    createdAt: Number(row.created_at),
    reference: row.reference,
    approvedAt: row.approved_at === null ? null : Number(row.approved_at),
    linesJson: row.lines_json,
    tender: row.tender,
    cardLast4: row.card_last4,
  };
}

/** Up to `limit` of the user's payments older than `before` (all, without it), newest first. */
export async function walletPaymentsPage(db: Queryable, userId: string, before: WalletPageKey | undefined, limit: number): Promise<WalletPaymentRow[]> {
  let query = userPayments(db, userId).orderBy("p.created_at", "desc").orderBy("p.payment_id", "desc").limit(limit);
  if (before !== undefined) {
    query = query.where((eb) =>
      eb.or([eb("p.created_at", "<", before.createdAt), eb.and([eb("p.created_at", "=", before.createdAt), eb("p.payment_id", "<", before.paymentId)])]),
    );
  }
  return (await query.execute()).map(toWalletPaymentRow);
}

/** One payment, if one of the user's phones claimed it; undefined otherwise (another user's payment included). */
export async function walletPayment(db: Queryable, userId: string, paymentId: string): Promise<WalletPaymentRow | undefined> {
  const row = await userPayments(db, userId).where("p.payment_id", "=", paymentId).executeTakeFirst();
  return row === undefined ? undefined : toWalletPaymentRow(row);
}

/** The voids and refunds of these payments, oldest first. */
export async function walletReversals(db: Queryable, paymentIds: readonly string[]): Promise<WalletReversalRow[]> {
  if (paymentIds.length === 0) return [];
  const rows = await db
    .selectFrom("reversals")
    .select(["payment_id", "kind", "amount_minor", "currency", "created_at"])
    .where("payment_id", "in", paymentIds)
    .orderBy("created_at")
    .orderBy("transfer_id")
    .execute();
  return rows.map((row) => ({ paymentId: row.payment_id, kind: row.kind, amountMinor: Number(row.amount_minor), currency: row.currency, createdAt: Number(row.created_at) }));
}
