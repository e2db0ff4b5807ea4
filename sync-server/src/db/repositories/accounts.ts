import { precompiledQuery } from "../precompiled-query.js";
import { newId } from "../../ids.js";
import type { Queryable } from "../database.js";
import type { AccountKind, AccountsTable, TransferKind, TransfersTable } from "../schema.js";

import { append, audit, statement, type Operation } from "../../engine/operation.js";
import { appendAuditEntryOp } from "./audit.js";
import { runOn } from "../../engine/run-on-kysely.js";


export interface AccountRow {
  readonly id: string;
  readonly kind: AccountKind;
  readonly ownerId: string;
  readonly currency: string;
  readonly balanceMinor: number;
}

export interface TransferRow {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly kind: TransferKind;
  readonly paymentId: string | null;
  readonly createdAt: number;
  /** Voids and refunds: the settling transfer they reverse. */
  readonly reversesTransferId?: string | null;
}

const selectAccount = precompiledQuery<{ kind: AccountKind; ownerId: string; currency: string }, AccountsTable>((db, param) =>
  db.selectFrom("accounts").selectAll().where("kind", "=", param("kind")).where("owner_id", "=", param("ownerId")).where("currency", "=", param("currency")),
);

export async function findAccount(db: Queryable, kind: AccountKind, ownerId: string, currency: string): Promise<AccountRow | undefined> {
  const [row] = (await selectAccount(db, { kind, ownerId, currency })).rows;
  return row && { id: row.id, kind: row.kind, ownerId: row.owner_id, currency: row.currency, balanceMinor: Number(row.balance_minor) };
}

const selectShopperAndStore = precompiledQuery<{ userKind: AccountKind; userId: string; storeKind: AccountKind; storeId: string; currency: string }, AccountsTable>((db, param) =>
  db
    .selectFrom("accounts")
    .selectAll()
    .where("currency", "=", param("currency"))
    .where((eb) =>
      eb.or([
        eb.and([eb("kind", "=", param("userKind")), eb("owner_id", "=", param("userId"))]),
        eb.and([eb("kind", "=", param("storeKind")), eb("owner_id", "=", param("storeId"))]),
      ]),
    ),
);

/** The two accounts a payment moves money between, read in one statement (each undefined if not opened). */
export function findShopperAndStoreAccounts(db: Queryable, userId: string, storeId: string, currency: string): Promise<ShopperAndStoreAccounts> {
  return runOn(db, findShopperAndStoreAccountsOp(userId, storeId, currency));
}

export interface ShopperAndStoreAccounts {
  readonly shopper: AccountRow | undefined;
  readonly store: AccountRow | undefined;
}

export function* findShopperAndStoreAccountsOp(userId: string, storeId: string, currency: string): Operation<ShopperAndStoreAccounts> {
  const { rows } = yield* statement(selectShopperAndStore, { userKind: "user", userId, storeKind: "store", storeId, currency });
  let shopper: AccountRow | undefined;
  let store: AccountRow | undefined;
  for (const row of rows) {
    const account = { id: row.id, kind: row.kind, ownerId: row.owner_id, currency: row.currency, balanceMinor: Number(row.balance_minor) };
    if (row.kind === "user" && row.owner_id === userId) shopper = account;
    else if (row.kind === "store" && row.owner_id === storeId) store = account;
  }
  return { shopper, store };
}

/** Finds or opens the account (ON CONFLICT DO NOTHING works on SQLite and PostgreSQL). */
export async function ensureAccount(db: Queryable, kind: AccountKind, ownerId: string, currency: string, now: number): Promise<AccountRow> {
  await db
    .insertInto("accounts")
    .values({ id: newId(), kind, owner_id: ownerId, currency, balance_minor: 0, created_at: now })
    .onConflict((oc) => oc.columns(["kind", "owner_id", "currency"]).doNothing())
    .execute();
  const account = await findAccount(db, kind, ownerId, currency);
  if (account === undefined) throw new Error(`account ${kind}/${ownerId}/${currency} vanished after insert`);
  return account;
}

export async function listAccounts(db: Queryable): Promise<AccountRow[]> {
  const rows = await db.selectFrom("accounts").selectAll().orderBy("kind").orderBy("owner_id").orderBy("currency").execute();
  return rows.map((row) => ({ id: row.id, kind: row.kind, ownerId: row.owner_id, currency: row.currency, balanceMinor: Number(row.balance_minor) }));
}

/**
 * Moves money between two accounts: updates both balances, appends the transfer and its audit entry.
 * The debit is guarded in SQL too (unless overdraft is allowed), so a race between two writers can
 * never take an account below zero even if a caller's snapshot was stale. The two balance rows are
 * updated in account-id order, so two transfers in opposite directions (a payment and a refund) lock
 * them in the same order on PostgreSQL and cannot deadlock.
 */
export function postTransfer(db: Queryable, transfer: TransferRow, options: { readonly debitMayGoNegative: boolean }): Promise<"posted" | "insufficient-funds"> {
  return runOn(db, postTransferOp(transfer, options));
}

export function* postTransferOp(transfer: TransferRow, options: { readonly debitMayGoNegative: boolean }): Operation<"posted" | "insufficient-funds"> {
  const debitFirst = transfer.debitAccountId < transfer.creditAccountId;
  if (debitFirst) {
    if (!(yield* debit(transfer, options.debitMayGoNegative))) return "insufficient-funds";
    yield* credit(transfer);
  } else {
    yield* credit(transfer);
    if (!(yield* debit(transfer, options.debitMayGoNegative))) {
      // Callers may go on (a refused approval becomes a decline in the same transaction): undo the credit.
      yield* credit({ ...transfer, amountMinor: -transfer.amountMinor });
      return "insufficient-funds";
    }
  }
  const row = { ...transfer, reversesTransferId: transfer.reversesTransferId ?? null };
  yield* append(insertTransfer, row);
  yield* audit(row, transfer.createdAt, () => appendAuditEntryOp(row, transfer.createdAt));
  return "posted";
}

const insertTransfer = precompiledQuery<TransferRow & { reversesTransferId: string | null }, never>((db, param) =>
  db.insertInto("transfers").values({
    id: param("id"),
    debit_account_id: param("debitAccountId"),
    credit_account_id: param("creditAccountId"),
    amount_minor: param("amountMinor"),
    currency: param("currency"),
    kind: param("kind"),
    payment_id: param("paymentId"),
    reverses_transfer_id: param("reversesTransferId"),
    created_at: param("createdAt"),
  }),
);

type BalanceChange = { accountId: string; amountMinor: number };
const subtractBalance = precompiledQuery<BalanceChange, never>((db, param) =>
  db
    .updateTable("accounts")
    .set((eb) => ({ balance_minor: eb("balance_minor", "-", param("amountMinor")) }))
    .where("id", "=", param("accountId")),
);
const subtractBalanceCovered = precompiledQuery<BalanceChange, never>((db, param) =>
  db
    .updateTable("accounts")
    .set((eb) => ({ balance_minor: eb("balance_minor", "-", param("amountMinor")) }))
    .where("id", "=", param("accountId"))
    .where("balance_minor", ">=", param("amountMinor")),
);
const addBalance = precompiledQuery<BalanceChange, never>((db, param) =>
  db
    .updateTable("accounts")
    .set((eb) => ({ balance_minor: eb("balance_minor", "+", param("amountMinor")) }))
    .where("id", "=", param("accountId")),
);

function* debit(transfer: TransferRow, mayGoNegative: boolean): Operation<boolean> {
  const query = mayGoNegative ? subtractBalance : subtractBalanceCovered;
  const debited = yield* statement(query, { accountId: transfer.debitAccountId, amountMinor: transfer.amountMinor }, { debits: transfer.debitAccountId });
  return debited.changes === 1;
}

function* credit(transfer: TransferRow): Operation<void> {
  const change = { accountId: transfer.creditAccountId, amountMinor: transfer.amountMinor };
  const credited = yield* statement(addBalance, change, { credits: change });
  if (credited.changes !== 1) throw new Error(`credit account ${transfer.creditAccountId} not found`);
}

export async function findTransfer(db: Queryable, id: string): Promise<TransferRow | undefined> {
  const row = await db.selectFrom("transfers").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toTransferRow(row);
}

export async function listTransfers(db: Queryable): Promise<TransferRow[]> {
  const rows = await db.selectFrom("transfers").selectAll().orderBy("created_at").orderBy("id").execute();
  return rows.map(toTransferRow);
}

export function toTransferRow(row: TransfersTable): TransferRow {
  return {
    id: row.id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    kind: row.kind,
    paymentId: row.payment_id,
    reversesTransferId: row.reverses_transfer_id,
    createdAt: Number(row.created_at),
  };
}

export async function countTransfersForPayment(db: Queryable, paymentId: string): Promise<number> {
  const row = await db
    .selectFrom("transfers")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("payment_id", "=", paymentId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function findAccountById(db: Queryable, id: string): Promise<AccountRow | undefined> {
  const row = await db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirst();
  return row && { id: row.id, kind: row.kind, ownerId: row.owner_id, currency: row.currency, balanceMinor: Number(row.balance_minor) };
}
