import { newId } from "../../ids.js";
import type { Queryable } from "../database.js";
import type { AccountKind, TransferKind } from "../schema.js";

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
}

export async function findAccount(db: Queryable, kind: AccountKind, ownerId: string, currency: string): Promise<AccountRow | undefined> {
  const row = await db
    .selectFrom("accounts")
    .selectAll()
    .where("kind", "=", kind)
    .where("owner_id", "=", ownerId)
    .where("currency", "=", currency)
    .executeTakeFirst();
  return row && { id: row.id, kind: row.kind, ownerId: row.owner_id, currency: row.currency, balanceMinor: Number(row.balance_minor) };
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
 * Moves money between two accounts: appends the transfer and updates both balances.
 * The debit is guarded in SQL too (unless overdraft is allowed), so a race between two writers
 * can never take an account below zero even if a caller's snapshot was stale.
 */
export async function postTransfer(
  db: Queryable,
  transfer: TransferRow,
  options: { readonly debitMayGoNegative: boolean },
): Promise<"posted" | "insufficient-funds"> {
  let debit = db
    .updateTable("accounts")
    .set((eb) => ({ balance_minor: eb("balance_minor", "-", transfer.amountMinor) }))
    .where("id", "=", transfer.debitAccountId);
  if (!options.debitMayGoNegative) debit = debit.where("balance_minor", ">=", transfer.amountMinor);
  const debited = await debit.executeTakeFirst();
  if (debited.numUpdatedRows !== 1n) return "insufficient-funds";
  const credited = await db
    .updateTable("accounts")
    .set((eb) => ({ balance_minor: eb("balance_minor", "+", transfer.amountMinor) }))
    .where("id", "=", transfer.creditAccountId)
    .executeTakeFirst();
  if (credited.numUpdatedRows !== 1n) throw new Error(`credit account ${transfer.creditAccountId} not found`);
  await db
    .insertInto("transfers")
    .values({
      id: transfer.id,
      debit_account_id: transfer.debitAccountId,
      credit_account_id: transfer.creditAccountId,
      amount_minor: transfer.amountMinor,
      currency: transfer.currency,
      kind: transfer.kind,
      payment_id: transfer.paymentId,
      created_at: transfer.createdAt,
    })
    .execute();
  return "posted";
}

export async function countTransfersForPayment(db: Queryable, paymentId: string): Promise<number> {
  const row = await db
    .selectFrom("transfers")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("payment_id", "=", paymentId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
