/**
 * The queries that fold what a payment used to read in several statements into one (README
 * "Performance", fewer statements per payment): the claimable payment with its store's and
 * register's names, the two accounts of a payment, an insert that reports a taken payment id
 * without aborting the transaction, and the state update that also writes the period. On a real
 * SQLite file and a real PostgreSQL, in and out of transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction, openDatabase, type Db } from "../../src/db/database.js";
import { findShopperAndStoreAccounts } from "../../src/db/repositories/accounts.js";
import { findClaimablePaymentByCode, findPayment, insertOpenPayment, updatePaymentState, type NewPaymentRow } from "../../src/db/repositories/payments.js";
import { createPostgresDatabase, dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { makeTempDir } from "../helpers/temp-dir.js";

afterAll(stopPostgres);

function openPayment(paymentId: string, code: string, registerId = paymentId === "sq-p1" ? "sq-reg" : "sq-reg-2"): NewPaymentRow {
  return {
    paymentId,
    registerPaymentId: paymentId,
    storeId: "sq-store",
    registerId,
    amountMinor: 1_200,
    currency: "JPY",
    code,
    state: "pending",
    reason: null,
    expiresAt: 10_000,
    claimedByPhone: null,
    reference: null,
    linesJson: null,
    createdAt: 1,
    updatedAt: 1,
  };
}

async function seed(db: Db): Promise<void> {
  await db.insertInto("stores").values({ id: "sq-store", name: "Corner Shop", currency: "JPY", created_at: 1 }).execute();
  await db
    .insertInto("registers")
    .values([
      { id: "sq-reg", store_id: "sq-store", name: "Till 2", password_hash: "x", broker_password_hash: null, created_at: 1 },
      { id: "sq-reg-2", store_id: "sq-store", name: "Till 3", password_hash: "x", broker_password_hash: null, created_at: 1 },
    ])
    .execute();
  await db.insertInto("users").values({ id: "sq-user", name: "Shopper", created_at: 1, pin_hash: null }).execute();
  await db
    .insertInto("accounts")
    .values([
      { id: "acc-user-jpy", kind: "user", owner_id: "sq-user", currency: "JPY", balance_minor: 5_000, created_at: 1 },
      { id: "acc-user-eur", kind: "user", owner_id: "sq-user", currency: "EUR", balance_minor: 70, created_at: 1 },
      { id: "acc-store-jpy", kind: "store", owner_id: "sq-store", currency: "JPY", balance_minor: 300, created_at: 1 },
      // Same owner id, other kind: must not be taken for the store's or the user's account.
      { id: "acc-store-named-like-user", kind: "store", owner_id: "sq-user", currency: "JPY", balance_minor: 0, created_at: 1 },
    ])
    .execute();
}

for (const dialect of dialectsUnderTest()) {
  describe(`settlement queries (${dialect})`, () => {
    const dir = makeTempDir("codepay-settlement-queries-");
    let db: Db;

    beforeAll(async () => {
      db = await openDatabase(dir.path, dialect === "postgres" ? await createPostgresDatabase() : undefined);
      await seed(db);
    });
    afterAll(async () => {
      await db.destroy();
      dir.remove();
    });

    it("reads an open payment by code with its store's and register's names, in and out of a transaction", async () => {
      expect(await insertOpenPayment(db, openPayment("sq-p1", "1234567"))).toBe(true);
      const outside = await findClaimablePaymentByCode(db, "1234567");
      expect(outside?.storeName).toBe("Corner Shop");
      expect(outside?.registerName).toBe("Till 2");
      expect(outside?.payment).toEqual(await findPayment(db, "sq-p1"));
      const inside = await inTransaction(db, (tx) => findClaimablePaymentByCode(tx, "1234567"));
      expect(inside).toEqual(outside);
      expect(await findClaimablePaymentByCode(db, "7654321")).toBeUndefined();
    });

    it("reads a payment's two accounts in one query, by kind, owner and currency", async () => {
      const jpy = await findShopperAndStoreAccounts(db, "sq-user", "sq-store", "JPY");
      expect(jpy.shopper).toEqual({ id: "acc-user-jpy", kind: "user", ownerId: "sq-user", currency: "JPY", balanceMinor: 5_000 });
      expect(jpy.store).toEqual({ id: "acc-store-jpy", kind: "store", ownerId: "sq-store", currency: "JPY", balanceMinor: 300 });
      const eur = await inTransaction(db, (tx) => findShopperAndStoreAccounts(tx, "sq-user", "sq-store", "EUR"));
      expect(eur.shopper?.id).toBe("acc-user-eur");
      expect(eur.store).toBeUndefined();
      const nobody = await findShopperAndStoreAccounts(db, "no-user", "sq-store", "JPY");
      expect(nobody.shopper).toBeUndefined();
      expect(nobody.store?.id).toBe("acc-store-jpy");
    });

    it("refuses a taken payment id or an open code without aborting the transaction", async () => {
      await inTransaction(db, async (tx) => {
        expect(await insertOpenPayment(tx, openPayment("sq-p1", "5555550"))).toBe(false);
        expect(await insertOpenPayment(tx, openPayment("sq-p2", "1234567"))).toBe(false);
        // The transaction still works (PostgreSQL aborts one on a raised unique violation).
        expect(await insertOpenPayment(tx, openPayment("sq-p2", "5555550"))).toBe(true);
      });
      expect((await findPayment(db, "sq-p1"))?.code).toBe("1234567");
      expect((await findPayment(db, "sq-p2"))?.code).toBe("5555550");
    });

    it("writes the period with the state, guarded by the state it was read in", async () => {
      const next = { state: "approved" as const, reason: null, claimedByPhone: null, reference: "t-1", updatedAt: 2, code: "5555550", registerId: "sq-reg-2", periodNumber: 3 };
      expect(await inTransaction(db, (tx) => updatePaymentState(tx, "sq-p2", { state: "pending", claimedByPhone: null }, next))).toBe(true);
      const approved = await findPayment(db, "sq-p2");
      expect(approved).toMatchObject({ state: "approved", reference: "t-1", periodNumber: 3, updatedAt: 2 });
      expect(await findClaimablePaymentByCode(db, "5555550")).toBeUndefined();
      expect(await updatePaymentState(db, "sq-p2", { state: "pending", claimedByPhone: null }, { ...next, periodNumber: 4 })).toBe(false);
      expect((await findPayment(db, "sq-p2"))?.periodNumber).toBe(3);
    });

    it("holds a register to one open payment (UNIQUE open_register) until the open one is final", async () => {
      // sq-p1 is still open on sq-reg: a second open payment there is refused, on another register it is not.
      expect(await insertOpenPayment(db, openPayment("sq-p3", "3333330", "sq-reg"))).toBe(false);
      expect(await findPayment(db, "sq-p3")).toBeUndefined();
      expect(await insertOpenPayment(db, openPayment("sq-p3", "3333330", "sq-reg-2"))).toBe(true); // sq-p2 there is approved
      const claimed = { state: "claimed" as const, reason: null, claimedByPhone: null, reference: null, updatedAt: 3, code: "1234567", registerId: "sq-reg", periodNumber: null };
      expect(await updatePaymentState(db, "sq-p1", { state: "pending", claimedByPhone: null }, claimed)).toBe(true); // still open: still holds the register
      expect(await insertOpenPayment(db, openPayment("sq-p4", "4444440", "sq-reg"))).toBe(false);
      expect(await updatePaymentState(db, "sq-p1", { state: "claimed", claimedByPhone: null }, { ...claimed, state: "cancelled", reason: "PAYMENT_CANCELLED", updatedAt: 4 })).toBe(true);
      expect(await insertOpenPayment(db, openPayment("sq-p4", "4444440", "sq-reg"))).toBe(true);
    });
  });
}
