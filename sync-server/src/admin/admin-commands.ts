/**
 * The admin commands, as functions on a data directory (so other packages' tests can seed a server
 * in-process). Each opens the database, does one thing, and closes it; safe while `serve` runs
 * (SQLite WAL).
 */
import { dialectOf, openDatabase, inTransaction, type Db } from "../db/database.js";
import { verifyLedger, type VerifyReport } from "../ledger/verify.js";
import { ensureAccount, findAccount, listAccounts, postTransfer } from "../db/repositories/accounts.js";
import { listPaymentsNewestFirst } from "../db/repositories/payments.js";
import { mosquittoPasswordHash } from "../auth/mosquitto-password.js";
import { findRegister, insertRegister, updateRegisterCredentials } from "../db/repositories/registers.js";
import { findStore, insertStore, updateStore } from "../db/repositories/stores.js";
import { findPhone, findUser, upsertPhone, upsertUser } from "../db/repositories/users.js";
import { newPassword } from "../auth/password-hash.js";
import { hashRegisterPassword } from "../auth/register-password.js";
import { openRegisterKey } from "../auth/register-key.js";
import { credentialSha256, newSubscriberCredential } from "../auth/subscriber-credential.js";
import { DEFAULT_CARRIER_ID, ensureCarrier } from "../carrier-gateway/carrier-keys.js";
import { newId } from "../ids.js";
import { ISSUANCE_OWNER_ID, topUpPosting } from "../ledger/postings.js";
import { limits } from "../limits.js";
import { AMOUNT_MINOR_MAX, ID_SLUG_PATTERN, isCurrencyCode, type CurrencyCode, type Money, type PaymentState } from "@codepay/contract";
import { AdminError } from "./admin-error.js";
import { adminIdempotent } from "./admin-idempotency.js";

export const PHONE_ID_PATTERN = /^\+[1-9]\d{6,14}$/; // E.164
export const DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883";

export async function withDatabase<T>(dataDir: string, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(dataDir);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

function requireSlug(what: string, value: string): void {
  if (!ID_SLUG_PATTERN.test(value)) throw new AdminError("BAD_REQUEST", `${what} must match ${ID_SLUG_PATTERN} (got ${JSON.stringify(value)})`);
}

function requireName(what: string, value: string): void {
  if (value.trim().length === 0 || value.length > 100) throw new AdminError("BAD_REQUEST", `${what} must be 1-100 characters`);
}

function requireCurrency(value: string): CurrencyCode {
  if (!isCurrencyCode(value)) throw new AdminError("BAD_REQUEST", `unknown currency ${JSON.stringify(value)}`);
  return value;
}

export interface CreateStoreInput {
  readonly dataDir: string;
  readonly id: string;
  readonly name: string;
  readonly currency: string;
  readonly now?: number;
  /** Idempotency key (`--request-id`): a retry returns the first result. */
  readonly requestId?: string;
}

export interface StoreOutput {
  readonly storeId: string;
  readonly name: string;
  readonly currency: CurrencyCode;
}

/** Creates the store (or renames it) and opens its account in its currency. */
export async function createStore(input: CreateStoreInput): Promise<StoreOutput> {
  requireSlug("store id", input.id);
  requireName("store name", input.name);
  const currency = requireCurrency(input.currency);
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, (db) =>
    inTransaction(db, (tx) => adminIdempotent(tx, { requestId: input.requestId, operation: "store create", request: { id: input.id, name: input.name, currency }, now }, async () => {
      const existing = await findStore(tx, input.id);
      if (existing === undefined) await insertStore(tx, { id: input.id, name: input.name, currency, created_at: now });
      else await updateStore(tx, input.id, { name: input.name, currency });
      await ensureAccount(tx, "store", input.id, currency, now);
      return { storeId: input.id, name: input.name, currency };
    })),
  );
}

export interface EnrollRegisterInput {
  readonly dataDir: string;
  readonly storeId: string;
  readonly registerId: string;
  readonly name: string;
  /** Where the agent will find the broker; goes into agentConfig. */
  readonly mqttUrl?: string;
  readonly now?: number;
  readonly requestId?: string;
}

export interface EnrollRegisterOutput {
  readonly storeId: string;
  readonly registerId: string;
  /** Shown once; only its keyed hash (auth/register-password.ts) is stored. */
  readonly password: string;
  /** The server-related part of the agent's config file (contracts.md). */
  readonly agentConfig: {
    readonly server: { readonly url: string };
    readonly register: { readonly storeId: string; readonly registerId: string; readonly password: string };
    readonly currency: CurrencyCode;
    readonly storeName: string;
    /** The name the shopper's phone shows (issue 17): the receipt prints it too. */
    readonly registerName: string;
  };
}

/** Enrolls a register, or gives an enrolled one a new password (the old one stops working). */
export async function enrollRegister(input: EnrollRegisterInput): Promise<EnrollRegisterOutput> {
  requireSlug("register id", input.registerId);
  requireName("register name", input.name);
  const password = newPassword();
  const brokerPasswordHash = await mosquittoPasswordHash(password);
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, async (db) => {
    const passwordHash = hashRegisterPassword((await openRegisterKey(db, input.dataDir)).key, password);
    return inTransaction(db, (tx) => adminIdempotent(tx, { requestId: input.requestId, operation: "register enroll", request: { storeId: input.storeId, registerId: input.registerId, name: input.name, mqttUrl: input.mqttUrl ?? null }, now, secrets: ["password"] }, async () => {
      const store = await findStore(tx, input.storeId);
      if (store === undefined) throw new AdminError("NOT_FOUND", `no store ${input.storeId}; create it first`);
      const existing = await findRegister(tx, input.registerId);
      if (existing === undefined) {
        await insertRegister(tx, { id: input.registerId, store_id: input.storeId, name: input.name, password_hash: passwordHash, broker_password_hash: brokerPasswordHash, created_at: now });
      } else if (existing.storeId !== input.storeId) {
        throw new AdminError("BAD_REQUEST", `register ${input.registerId} belongs to store ${existing.storeId}`);
      } else {
        await updateRegisterCredentials(tx, input.registerId, { name: input.name, passwordHash, brokerPasswordHash });
      }
      const currency = requireCurrency(store.currency);
      return {
        storeId: input.storeId,
        registerId: input.registerId,
        password,
        agentConfig: {
          server: { url: input.mqttUrl ?? DEFAULT_MQTT_URL },
          register: { storeId: input.storeId, registerId: input.registerId, password },
          currency,
          storeName: store.name,
          registerName: input.name,
        },
      };
    }));
  });
}

export interface EnrollUserInput {
  readonly dataDir: string;
  readonly userId: string;
  readonly name: string;
  readonly phoneId: string;
  readonly carrier?: string;
  readonly now?: number;
  readonly requestId?: string;
}

export interface EnrollUserOutput {
  readonly userId: string;
  readonly phoneId: string;
  readonly carrier: string;
  /** Shown once; only its SHA-256 is stored. */
  readonly subscriberCredential: string;
}

/** Enrolls a user and their phone, or gives an enrolled phone a new credential. */
export async function enrollUser(input: EnrollUserInput): Promise<EnrollUserOutput> {
  requireSlug("user id", input.userId);
  requireName("user name", input.name);
  if (!PHONE_ID_PATTERN.test(input.phoneId)) throw new AdminError("BAD_REQUEST", `phone must be E.164, like +819012345678`);
  const carrier = input.carrier ?? DEFAULT_CARRIER_ID;
  if (!/^[a-z0-9-]{1,32}$/.test(carrier)) throw new AdminError("BAD_REQUEST", `bad carrier id ${JSON.stringify(carrier)}`);
  const subscriberCredential = newSubscriberCredential();
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, (db) =>
    inTransaction(db, (tx) => adminIdempotent(tx, { requestId: input.requestId, operation: "user enroll", request: { userId: input.userId, name: input.name, phoneId: input.phoneId, carrier }, now, secrets: ["subscriberCredential"] }, async () => {
      await ensureCarrier(tx, input.dataDir, carrier, now);
      const phone = await findPhone(tx, input.phoneId);
      if (phone !== undefined && phone.userId !== input.userId) {
        throw new AdminError("BAD_REQUEST", `phone ${input.phoneId} belongs to user ${phone.userId}`);
      }
      await upsertUser(tx, { id: input.userId, name: input.name }, now);
      await upsertPhone(tx, { phoneId: input.phoneId, userId: input.userId, carrier, credentialSha256: credentialSha256(subscriberCredential) }, now);
      return { userId: input.userId, phoneId: input.phoneId, carrier, subscriberCredential };
    })),
  );
}

export interface TopUpInput {
  readonly dataDir: string;
  readonly userId: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** Idempotency key: the same id again returns the first result and moves no money. */
  readonly requestId: string;
  readonly now?: number;
}

export interface TopUpOutput {
  readonly transferId: string;
  readonly balanceMinor: number;
}

/** Issues money to a user: debits the system issuance account, credits the user's. */
export async function topUp(input: TopUpInput): Promise<TopUpOutput> {
  const currency = requireCurrency(input.currency);
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0 || input.amountMinor > AMOUNT_MINOR_MAX) {
    throw new AdminError("BAD_REQUEST", `amount must be a positive integer of minor units up to ${AMOUNT_MINOR_MAX}`);
  }
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, (db) =>
    inTransaction(db, (tx) =>
      adminIdempotent(tx, { requestId: input.requestId, operation: "topup", request: { userId: input.userId, amountMinor: input.amountMinor, currency }, now }, async () => {
        if ((await findUser(tx, input.userId)) === undefined) throw new AdminError("NOT_FOUND", `no user ${input.userId}`);
        const issuance = await ensureAccount(tx, "system", ISSUANCE_OWNER_ID, currency, now);
        const user = await ensureAccount(tx, "user", input.userId, currency, now);
        const decided = topUpPosting(issuance, user, input.amountMinor, currency);
        if (!decided.ok) throw new AdminError(decided.code, decided.message);
        const transferId = newId();
        await postTransfer(
          tx,
          { id: transferId, debitAccountId: issuance.id, creditAccountId: user.id, amountMinor: input.amountMinor, currency, kind: "topup", paymentId: null, createdAt: now },
          { debitMayGoNegative: true },
        );
        return { transferId, balanceMinor: decided.posting.creditBalanceAfterMinor };
      }),
    ),
  );
}

export interface BalancesOutput {
  readonly accounts: { accountId: string; kind: "user" | "store" | "system"; ownerId: string; currency: string; balanceMinor: number }[];
  /** Per currency; always 0 when the ledger is whole. */
  readonly totals: Record<string, number>;
}

export async function balances(input: { readonly dataDir: string }): Promise<BalancesOutput> {
  const accounts = await withDatabase(input.dataDir, (db) => listAccounts(db));
  const totals: Record<string, number> = {};
  for (const account of accounts) totals[account.currency] = (totals[account.currency] ?? 0) + account.balanceMinor;
  return {
    accounts: accounts.map((a) => ({ accountId: a.id, kind: a.kind, ownerId: a.ownerId, currency: a.currency, balanceMinor: a.balanceMinor })),
    totals,
  };
}

export interface PaymentListing {
  readonly paymentId: string;
  readonly storeId: string;
  readonly registerId: string;
  readonly state: PaymentState;
  readonly amount: Money;
  readonly code: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly reference?: string;
}

export async function listPayments(input: { readonly dataDir: string; readonly limit?: number }): Promise<{ payments: PaymentListing[] }> {
  const limit = Math.min(Math.max(1, Math.trunc(input.limit ?? 50)), limits.paymentsListMax);
  const rows = await withDatabase(input.dataDir, (db) => listPaymentsNewestFirst(db, limit));
  return {
    payments: rows.map((row) => ({
      paymentId: row.paymentId,
      storeId: row.storeId,
      registerId: row.registerId,
      state: row.state,
      amount: { minor: row.amountMinor, currency: requireCurrency(row.currency) },
      code: row.code,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      ...(row.reference !== null ? { reference: row.reference } : {}),
    })),
  };
}

/** Reads an account balance (tests and the demo use it). */
export async function accountBalance(input: { dataDir: string; kind: "user" | "store" | "system"; ownerId: string; currency: string }): Promise<number | undefined> {
  return withDatabase(input.dataDir, async (db) => (await findAccount(db, input.kind, input.ownerId, input.currency))?.balanceMinor);
}

/** Checks every ledger invariant in one consistent snapshot, read in keyset pages (`admin verify`). */
export async function verify(input: { readonly dataDir: string; readonly pageRows?: number }): Promise<VerifyReport> {
  return withDatabase(input.dataDir, (db) => verifyReadOnly(db, input.pageRows));
}

/**
 * `admin verify` on an open database: read only; on SQLite a deferred transaction, one WAL snapshot
 * that never blocks `serve`'s writes (on a connection of its own: `serve`'s would hold its payments up).
 */
export function verifyReadOnly(db: Db, pageRows?: number): Promise<VerifyReport> {
  const readOnly = db.transaction().setAccessMode("read only");
  const transaction = dialectOf(db) === "postgres" ? readOnly.setIsolationLevel("repeatable read") : readOnly;
  return transaction.execute((tx) => verifyLedger(tx, pageRows !== undefined ? { pageRows } : {}));
}
