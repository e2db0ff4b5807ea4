import { precompiledQuery } from "../precompiled-query.js";
import { sql, type Selectable } from "kysely";
import { NO_FAILURES, type GuessState } from "../../payments/guess-policy.js";
import type { AccountRow, ShopperAndStoreAccounts } from "./accounts.js";
import type { PaymentState, Tender } from "@codepay/contract";
import type { Queryable } from "../database.js";
import { statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";
import type { PaymentsTable } from "../schema.js";

export interface PaymentRow {
  /** The payment's name for phones, the ledger, the outbox and operators. */
  readonly paymentId: string;
  /** The register's name for it: what the register line says and is told (unique per register). */
  readonly registerPaymentId: string;
  readonly storeId: string;
  readonly registerId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly code: string;
  readonly state: PaymentState;
  readonly reason: string | null;
  readonly expiresAt: number;
  readonly claimedByPhone: string | null;
  readonly reference: string | null;
  readonly linesJson: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly tender: Tender;
  readonly cardLast4: string | null;
  readonly periodNumber: number | null;
  readonly reversedMinor: number;
  /** When a phone claimed it; null before the claim, for card payments and for payments older than migration 0011. */
  readonly claimedAt: number | null;
}

/** A new payment row carries no period or reversals yet. */
export type NewPaymentRow = Omit<PaymentRow, "periodNumber" | "reversedMinor" | "tender" | "cardLast4" | "claimedAt"> & Partial<Pick<PaymentRow, "tender" | "cardLast4" | "periodNumber">>;

export function toPaymentRow(row: Selectable<PaymentsTable>): PaymentRow {
  return {
    paymentId: row.payment_id,
    registerPaymentId: row.register_payment_id,
    storeId: row.store_id,
    registerId: row.register_id,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    code: row.code,
    state: row.state,
    reason: row.reason,
    expiresAt: Number(row.expires_at),
    claimedByPhone: row.claimed_by_phone,
    reference: row.reference,
    linesJson: row.lines_json,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    tender: row.tender,
    cardLast4: row.card_last4,
    periodNumber: row.period_number === null ? null : Number(row.period_number),
    reversedMinor: Number(row.reversed_minor),
    claimedAt: row.claimed_at === null || row.claimed_at === undefined ? null : Number(row.claimed_at),
  };
}

function isOpen(state: PaymentState): boolean {
  return state === "pending" || state === "claimed";
}

/**
 * Reads a payment. Inside a transaction on PostgreSQL the row is locked (FOR UPDATE) until commit,
 * so two requests on one payment (two approvals, a claim racing a cancel) run one after the other
 * instead of both acting on the same snapshot; SQLite has one writer at a time anyway.
 */
const selectPayment = precompiledQuery<{ paymentId: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("payment_id", "=", param("paymentId")),
);
const selectPaymentForUpdate = precompiledQuery<{ paymentId: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("payment_id", "=", param("paymentId")).forUpdate(),
);

export function* findPaymentOp(paymentId: string): Operation<PaymentRow | undefined> {
  const [row] = (yield* statement(selectPayment, { paymentId }, { locking: selectPaymentForUpdate })).rows;
  return row && toPaymentRow(row);
}

export function findPayment(db: Queryable, paymentId: string): Promise<PaymentRow | undefined> {
  return runOn(db, findPaymentOp(paymentId));
}

/** A payment a phone is about to approve, with the two accounts settling it would move money between. */
export interface PaymentToApprove {
  readonly payment: PaymentRow;
  readonly accounts: ShopperAndStoreAccounts;
}

type SettlingAccountColumns = { shopper_account_id: string | null; shopper_balance_minor: number | null; store_account_id: string | null; store_balance_minor: number | null };

/*
 * findPaymentOp's row with the shopper's and the store's account in the payment's currency, by outer
 * joins in the same statement (one statement instead of two on every approval). The balances are
 * read, not locked (`FOR UPDATE OF payments`), as the separate read was: the debit is guarded in SQL.
 */
function paymentToApprove(db: Queryable, paymentId: string, userId: string) {
  return db
    .selectFrom("payments")
    .leftJoin("accounts as shopper", (join) =>
      join.on("shopper.kind", "=", sql.lit("user")).on("shopper.owner_id", "=", userId).onRef("shopper.currency", "=", "payments.currency"),
    )
    .leftJoin("accounts as store", (join) =>
      join.on("store.kind", "=", sql.lit("store")).onRef("store.owner_id", "=", "payments.store_id").onRef("store.currency", "=", "payments.currency"),
    )
    .selectAll("payments")
    .select(["shopper.id as shopper_account_id", "shopper.balance_minor as shopper_balance_minor", "store.id as store_account_id", "store.balance_minor as store_balance_minor"])
    .where("payments.payment_id", "=", paymentId);
}

const selectPaymentToApprove = precompiledQuery<{ paymentId: string; userId: string }, Selectable<PaymentsTable> & SettlingAccountColumns>((db, param) =>
  paymentToApprove(db, param("paymentId"), param("userId")),
);
const selectPaymentToApproveForUpdate = precompiledQuery<{ paymentId: string; userId: string }, Selectable<PaymentsTable> & SettlingAccountColumns>((db, param) =>
  paymentToApprove(db, param("paymentId"), param("userId")).forUpdate(["payments"]),
);

/** findPaymentOp, with the accounts an approval by `userId` settles between (each undefined if not opened). */
export function* findPaymentToApproveOp(paymentId: string, userId: string): Operation<PaymentToApprove | undefined> {
  const [row] = (yield* statement(selectPaymentToApprove, { paymentId, userId }, { locking: selectPaymentToApproveForUpdate })).rows;
  if (row === undefined) return undefined;
  const { shopper_account_id, shopper_balance_minor, store_account_id, store_balance_minor, ...stored } = row;
  const payment = toPaymentRow(stored);
  const account = (id: string | null, balance: number | null, kind: "user" | "store", ownerId: string): AccountRow | undefined =>
    id === null ? undefined : { id, kind, ownerId, currency: payment.currency, balanceMinor: Number(balance) };
  return {
    payment,
    accounts: { shopper: account(shopper_account_id, shopper_balance_minor, "user", userId), store: account(store_account_id, store_balance_minor, "store", payment.storeId) },
  };
}

/** A register's payment by the register's own id for it (UNIQUE(register_id, register_payment_id)); locked as findPaymentOp. */
const selectRegisterPayment = precompiledQuery<{ registerId: string; registerPaymentId: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("register_id", "=", param("registerId")).where("register_payment_id", "=", param("registerPaymentId")),
);
const selectRegisterPaymentForUpdate = precompiledQuery<{ registerId: string; registerPaymentId: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("register_id", "=", param("registerId")).where("register_payment_id", "=", param("registerPaymentId")).forUpdate(),
);

export function* findRegisterPaymentOp(registerId: string, registerPaymentId: string): Operation<PaymentRow | undefined> {
  const [row] = (yield* statement(selectRegisterPayment, { registerId, registerPaymentId }, { locking: selectRegisterPaymentForUpdate })).rows;
  return row && toPaymentRow(row);
}

export function findRegisterPayment(db: Queryable, registerId: string, registerPaymentId: string): Promise<PaymentRow | undefined> {
  return runOn(db, findRegisterPaymentOp(registerId, registerPaymentId));
}

const selectPaymentIdTaken = precompiledQuery<{ paymentId: string }, { payment_id: string }>((db, param) =>
  db.selectFrom("payments").select("payment_id").where("payment_id", "=", param("paymentId")),
);

/** Whether any payment (of any register) holds this payment id. */
export function* paymentIdTakenOp(paymentId: string): Operation<boolean> {
  return (yield* statement(selectPaymentIdTaken, { paymentId })).rows.length > 0;
}

const selectOpenByCode = precompiledQuery<{ code: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("open_code", "=", param("code")),
);
const selectOpenByCodeForUpdate = precompiledQuery<{ code: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("open_code", "=", param("code")).forUpdate(),
);

export function* findOpenPaymentByCodeOp(code: string): Operation<PaymentRow | undefined> {
  const [row] = (yield* statement(selectOpenByCode, { code }, { locking: selectOpenByCodeForUpdate })).rows;
  return row && toPaymentRow(row);
}

export function findOpenPaymentByCode(db: Queryable, code: string): Promise<PaymentRow | undefined> {
  return runOn(db, findOpenPaymentByCodeOp(code));
}

const selectOpenOfRegister = precompiledQuery<{ registerId: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("open_register", "=", param("registerId")),
);
const selectOpenOfRegisterForUpdate = precompiledQuery<{ registerId: string }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("open_register", "=", param("registerId")).forUpdate(),
);

/** The register's one open payment (pending or claimed), by UNIQUE(open_register); locked as findPaymentOp. */
export function* findOpenPaymentOfRegisterOp(registerId: string): Operation<PaymentRow | undefined> {
  const [row] = (yield* statement(selectOpenOfRegister, { registerId }, { locking: selectOpenOfRegisterForUpdate })).rows;
  return row && toPaymentRow(row);
}

/** An open payment with the names a shopper sees before approving it, and its store's guess counters. */
export interface ClaimablePayment {
  readonly payment: PaymentRow;
  readonly storeName: string | null;
  readonly registerName: string | null;
  /** The store's counters as committed (guessing.ts): checked here, read again locked before a failure is counted. */
  readonly storeGuesses: GuessState;
}

type StoreGuessColumns = { store_failures: number | null; store_window_started_at: number | null; store_blocked_until: number | null; store_rotations_failures: number | null };
type ClaimableColumns = Selectable<PaymentsTable> & { store_name: string | null; register_name: string | null } & StoreGuessColumns;

/*
 * The names come from scalar subqueries, not joins: one statement instead of three, and on
 * PostgreSQL FOR UPDATE still locks only the payment row (a join would lock the store's row too, and
 * every claim in the store would queue behind it). The store's guess counters come by an outer join
 * in the same statement (a claim checks them before it changes anything), not locked either: `FOR
 * UPDATE OF payments`.
 */
function claimableByCode(db: Queryable, code: string) {
  return db
    .selectFrom("payments")
    .leftJoin("guess_limits", (join) => join.on("guess_limits.subject", "=", sql<string>`'store:' || ${sql.ref("payments.store_id")}`))
    .selectAll("payments")
    .select((eb) => [
      eb.selectFrom("stores").select("stores.name").whereRef("stores.id", "=", "payments.store_id").as("store_name"),
      eb.selectFrom("registers").select("registers.name").whereRef("registers.id", "=", "payments.register_id").as("register_name"),
      "guess_limits.failures as store_failures",
      "guess_limits.window_started_at as store_window_started_at",
      "guess_limits.blocked_until as store_blocked_until",
      "guess_limits.rotations_failures as store_rotations_failures",
    ])
    .where("payments.open_code", "=", code);
}

const selectClaimable = precompiledQuery<{ code: string }, ClaimableColumns>((db, param) => claimableByCode(db, param("code")));
const selectClaimableForUpdate = precompiledQuery<{ code: string }, ClaimableColumns>((db, param) => claimableByCode(db, param("code")).forUpdate(["payments"]));

/** findOpenPaymentByCode, with its store's and register's names (null if the row is gone) and its store's guess counters. */
export function* findClaimablePaymentByCodeOp(code: string): Operation<ClaimablePayment | undefined> {
  const [row] = (yield* statement(selectClaimable, { code }, { locking: selectClaimableForUpdate })).rows;
  if (row === undefined) return undefined;
  const { store_name: storeName, register_name: registerName, store_failures, store_window_started_at, store_blocked_until, store_rotations_failures, ...payment } = row;
  const storeGuesses =
    store_failures === null
      ? NO_FAILURES
      : { failures: Number(store_failures), windowStartedAt: Number(store_window_started_at), blockedUntil: Number(store_blocked_until), rotationFailures: Number(store_rotations_failures) };
  return { payment: toPaymentRow(payment), storeName, registerName, storeGuesses };
}

/** Codes open on the whole server (pending or claimed payments): a count over UNIQUE(open_code). */
export async function countOpenCodes(db: Queryable): Promise<number> {
  const row = await db.selectFrom("payments").select((eb) => eb.fn.countAll<number>().as("count")).where("open_code", "is not", null).executeTakeFirst();
  return Number(row?.count ?? 0);
}

export function findClaimablePaymentByCode(db: Queryable, code: string): Promise<ClaimablePayment | undefined> {
  return runOn(db, findClaimablePaymentByCodeOp(code));
}

const selectRecentlyClosed = precompiledQuery<{ code: string; closedSince: number; limit: number }, Selectable<PaymentsTable>>((db, param) =>
  db
    .selectFrom("payments")
    .selectAll()
    .where("code", "=", param("code"))
    .where("open_code", "is", null)
    .where("updated_at", ">=", param("closedSince"))
    .orderBy("updated_at", "desc")
    .limit(param("limit")),
);

/** The newest closed payment that had this code, closed at or after `closedSince`. */
export function* findRecentlyClosedPaymentByCodeOp(code: string, closedSince: number): Operation<PaymentRow | undefined> {
  const [row] = (yield* statement(selectRecentlyClosed, { code, closedSince, limit: 1 })).rows;
  return row && toPaymentRow(row);
}

export function findRecentlyClosedPaymentByCode(db: Queryable, code: string, closedSince: number): Promise<PaymentRow | undefined> {
  return runOn(db, findRecentlyClosedPaymentByCodeOp(code, closedSince));
}

/**
 * Inserts an open payment unless its code is already open, its payment id is taken, or its register
 * already has a payment of that register id. Returns false on any collision (the caller tells them
 * apart, only then): `ON CONFLICT DO
 * NOTHING` (no target: any unique constraint) lets the caller draw another code without aborting the
 * transaction (PostgreSQL would abort it on a raised unique violation), and spares a read of the
 * payment id before every insert.
 */
export function* insertOpenPaymentOp(payment: NewPaymentRow): Operation<boolean> {
  const inserted = yield* statement(insertOpen, payment);
  return inserted.rows.length > 0;
}

export function insertOpenPayment(db: Queryable, payment: NewPaymentRow): Promise<boolean> {
  return runOn(db, insertOpenPaymentOp(payment));
}

const insertOpen = precompiledQuery<NewPaymentRow, { payment_id: string }>((db, param) =>
  db
    .insertInto("payments")
    .values({
      payment_id: param("paymentId"),
      register_payment_id: param("registerPaymentId"),
      store_id: param("storeId"),
      register_id: param("registerId"),
      amount_minor: param("amountMinor"),
      currency: param("currency"),
      code: param("code"),
      open_code: param("code"),
      open_register: param("registerId"),
      state: param("state"),
      reason: param("reason"),
      expires_at: param("expiresAt"),
      claimed_by_phone: param("claimedByPhone"),
      reference: param("reference"),
      lines_json: param("linesJson"),
      created_at: param("createdAt"),
      updated_at: param("updatedAt"),
    })
    .onConflict((oc) => oc.doNothing())
    .returning("payment_id"),
);

/**
 * Writes a new state, guarded by the state (and claiming phone) it was read in (optimistic check), so
 * two writers can never both move the same payment. Returns false if someone else moved it first. The
 * period is written in the same statement (the one it settled in, else the one it had).
 *
 * The statement names an indexed column only when its value changes: SQLite rewrites the index entry
 * of every indexed column an UPDATE sets, even to the value it had (issue 14: a claim and an approval
 * each dirtied the pages of four payment indexes). So the claiming phone is set only when it changes
 * (the guard says what it was), and open_code/open_register only when the payment opens or closes
 * (while it stays open they hold its code and register, while it stays final NULL). Four variants.
 */
type NextPaymentState = { state: PaymentState; reason: string | null; claimedByPhone: string | null; reference: string | null; updatedAt: number; code: string; registerId: string; periodNumber: number | null };

/** What the writer read: the row is written only if it still says this. */
export interface PaymentExpectation {
  readonly state: PaymentState;
  readonly claimedByPhone: string | null;
}

export function updatePaymentState(db: Queryable, paymentId: string, expected: PaymentExpectation, next: NextPaymentState): Promise<boolean> {
  return runOn(db, updatePaymentStateOp(paymentId, expected, next));
}

export function* updatePaymentStateOp(paymentId: string, expected: PaymentExpectation, next: NextPaymentState): Operation<boolean> {
  const phoneChanges = next.claimedByPhone !== expected.claimedByPhone;
  const opensOrCloses = isOpen(next.state) !== isOpen(expected.state);
  const result = yield* statement(updateStateVariants[(phoneChanges ? 1 : 0) + (opensOrCloses ? 2 : 0)]!, {
    state: next.state,
    reason: next.reason,
    claimedByPhone: next.claimedByPhone,
    reference: next.reference,
    updatedAt: next.updatedAt,
    openCode: isOpen(next.state) ? next.code : null,
    openRegister: isOpen(next.state) ? next.registerId : null,
    periodNumber: next.periodNumber,
    claimedAt: next.state === "claimed" && expected.state === "pending" ? next.updatedAt : null,
    paymentId,
    expectedState: expected.state,
    expectedPhone: expected.claimedByPhone,
  });
  return result.changes === 1;
}

interface UpdateStateParams {
  state: PaymentState;
  reason: string | null;
  claimedByPhone: string | null;
  reference: string | null;
  updatedAt: number;
  openCode: string | null;
  openRegister: string | null;
  periodNumber: number | null;
  claimedAt: number | null;
  paymentId: string;
  expectedState: PaymentState;
  expectedPhone: string | null;
}

function updateStateVariant(setsPhone: boolean, setsOpenColumns: boolean) {
  return precompiledQuery<UpdateStateParams, never>((db, param) =>
    db
      .updateTable("payments")
      .set((eb) => ({
        state: param("state"),
        reason: param("reason"),
        reference: param("reference"),
        updated_at: param("updatedAt"),
        period_number: param("periodNumber"),
        // Set once, by the claim (the payment's timeline in the operator console).
        claimed_at: eb.fn.coalesce("claimed_at", eb.val(param("claimedAt"))),
        ...(setsPhone ? { claimed_by_phone: param("claimedByPhone") } : {}),
        ...(setsOpenColumns ? { open_code: param("openCode"), open_register: param("openRegister") } : {}),
      }))
      .where("payment_id", "=", param("paymentId"))
      .where("state", "=", param("expectedState"))
      .where("claimed_by_phone", "is not distinct from", param("expectedPhone")),
  );
}

/** Indexed by (sets the phone ? 1 : 0) + (sets open_code/open_register ? 2 : 0). */
const updateStateVariants = [updateStateVariant(false, false), updateStateVariant(true, false), updateStateVariant(false, true), updateStateVariant(true, true)] as const;

export async function listOpenPaymentsExpiredBy(db: Queryable, now: number, limit: number): Promise<PaymentRow[]> {
  const rows = await db
    .selectFrom("payments")
    .selectAll()
    .where("state", "in", ["pending", "claimed"])
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .limit(limit)
    .execute();
  return rows.map(toPaymentRow);
}

export async function listPaymentsNewestFirst(db: Queryable, limit: number): Promise<PaymentRow[]> {
  const rows = await db.selectFrom("payments").selectAll().orderBy("created_at", "desc").orderBy("payment_id").limit(limit).execute();
  return rows.map(toPaymentRow);
}

/** A card payment is final at birth: approved (with its period) or declined; it never holds a code. */
export async function insertFinalPayment(db: Queryable, payment: NewPaymentRow): Promise<void> {
  await db
    .insertInto("payments")
    .values({
      payment_id: payment.paymentId,
      register_payment_id: payment.registerPaymentId,
      store_id: payment.storeId,
      register_id: payment.registerId,
      amount_minor: payment.amountMinor,
      currency: payment.currency,
      code: payment.code,
      open_code: null,
      state: payment.state,
      reason: payment.reason,
      expires_at: payment.expiresAt,
      claimed_by_phone: null,
      reference: payment.reference,
      lines_json: payment.linesJson,
      created_at: payment.createdAt,
      updated_at: payment.updatedAt,
      tender: payment.tender ?? "code",
      card_last4: payment.cardLast4 ?? null,
      period_number: payment.periodNumber ?? null,
    })
    .execute();
}

/**
 * Adds a reversal to the payment's running total and writes the state the payment machine decided
 * (payments/payment-machine.ts `reverse`), guarded in SQL: the row only changes while it is approved
 * and the total stays within the amount (and a CHECK backs that up). False means it would exceed it.
 */
export async function addReversed(db: Queryable, paymentId: string, amountMinor: number, now: number, nextState: "approved" | "voided"): Promise<boolean> {
  const result = await db
    .updateTable("payments")
    .set((eb) => ({
      reversed_minor: eb("reversed_minor", "+", amountMinor),
      updated_at: now,
      state: nextState,
    }))
    .where("payment_id", "=", paymentId)
    .where((eb) => eb(eb("reversed_minor", "+", amountMinor), "<=", eb.ref("amount_minor")))
    .where("state", "=", "approved")
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

const updateOpenCode = precompiledQuery<{ paymentId: string; oldCode: string; newCode: string; now: number; pending: PaymentState }, never>((db, param) =>
  db
    .updateTable("payments")
    .set({ code: param("newCode"), open_code: param("newCode"), updated_at: param("now") })
    .where("payment_id", "=", param("paymentId"))
    .where("open_code", "=", param("oldCode"))
    .where("state", "=", param("pending")),
);

/** Gives a still-pending payment a fresh code (guarded by its old code); false if it moved meanwhile. */
export function* replaceOpenCodeOp(paymentId: string, oldCode: string, newCode: string, now: number): Operation<boolean> {
  return (yield* statement(updateOpenCode, { paymentId, oldCode, newCode, now, pending: "pending" })).changes === 1;
}

const selectPendingOfStore = precompiledQuery<{ storeId: string; limit: number; pending: PaymentState }, Selectable<PaymentsTable>>((db, param) =>
  db.selectFrom("payments").selectAll().where("store_id", "=", param("storeId")).where("state", "=", param("pending")).orderBy("created_at").limit(param("limit")),
);

export function* listPendingPaymentsOfStoreOp(storeId: string, limit: number): Operation<PaymentRow[]> {
  return (yield* statement(selectPendingOfStore, { storeId, limit, pending: "pending" })).rows.map(toPaymentRow);
}

export async function listAllPayments(db: Queryable): Promise<PaymentRow[]> {
  const rows = await db.selectFrom("payments").selectAll().orderBy("created_at").execute();
  return rows.map(toPaymentRow);
}
