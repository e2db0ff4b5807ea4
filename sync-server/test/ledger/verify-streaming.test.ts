/**
 * `admin verify` streams the ledger in keyset pages: on SQLite and PostgreSQL, whatever the page size,
 * it reaches the verdict the whole-snapshot check (checkLedger) reaches, and a ledger tampered with
 * where the tampering only shows across a page boundary is still caught. The ledger is written by the
 * real server (code payments, a void, a refund); the tampering goes behind its back (append-only
 * triggers dropped or disabled, as someone with database access could).
 */
import { sql, type KyselyPlugin } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verify } from "../../src/index.js";
import { dialectOf, openDatabase, type Db } from "../../src/db/database.js";
import { chainHash } from "../../src/ledger/audit-chain.js";
import { checkLedger } from "../../src/ledger/invariants.js";
import { loadLedgerSnapshot, verifyLedger } from "../../src/ledger/verify.js";
import { payWithCode } from "../helpers/pay.js";
import { PhoneClient } from "../helpers/phone-client.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

afterAll(stopPostgres);

const PAGE_SIZES = [1, 2, 3, 1_000];

/** Sorted `CODE: message` lines: the verdict, independent of the order rows were read in. */
function verdict(violations: readonly { code: string; message: string }[]): string[] {
  return violations.map((v) => `${v.code}: ${v.message}`).sort();
}

for (const dialect of dialectsUnderTest()) {
  describe(`admin verify in keyset pages (${dialect})`, () => {
    let t: TestServer;
    let db: Db;

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      const register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      const phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
      const paid: string[] = [];
      for (const amount of [1_200, 800, 500, 300, 2_000]) paid.push((await payWithCode(register, phone, amount)).paymentId);
      expect(await register.request({ type: "payment.void", paymentId: paid[1] })).toMatchObject({ state: "voided" });
      expect(await register.request({ type: "refund.create", paymentId: paid[4], refundId: "refund-verify-1", amount: { minor: 700, currency: "JPY" } })).toMatchObject({
        type: "refund.result",
      });
      await register.close();
      await t.server.stop();
      db = await openDatabase(t.dataDir); // DATABASE_URL still names the test's PostgreSQL database
      if (dialectOf(db) === "postgres") {
        for (const table of ["transfers", "audit_log"]) await sql.raw(`alter table ${table} disable trigger ${table}_append_only`).execute(db);
      } else {
        for (const table of ["transfers", "audit_log"]) for (const op of ["update", "delete"]) await sql.raw(`drop trigger ${table}_no_${op}`).execute(db);
      }
    });
    afterAll(async () => {
      await db?.destroy();
      await t.stop();
    });

    /** The streamed verdict at every page size, checked against the whole-snapshot verdict; returns the violation codes. */
    async function verdictEverywhere(): Promise<Set<string>> {
      const expected = checkLedger(await loadLedgerSnapshot(db));
      for (const pageRows of PAGE_SIZES) {
        const report = await verifyLedger(db, { pageRows });
        expect(verdict(report.violations), `page size ${pageRows}`).toEqual(verdict(expected));
        expect(report.ok).toBe(expected.length === 0);
      }
      return new Set(expected.map((v) => v.code));
    }

    it("a ledger the server wrote passes at every page size, with the same counts", async () => {
      expect(await verdictEverywhere()).toEqual(new Set());
      const counts = (await verifyLedger(db, { pageRows: 2 })).checked;
      // demo top-up + 5 payments + void + refund; accounts: system, user, store.
      expect(counts).toEqual({ accounts: 3, transfers: 8, payments: 5, reversals: 2, auditEntries: 8 });
      expect(await verifyLedger(db)).toMatchObject({ ok: true, checked: counts });
      expect(await verify({ dataDir: t.dataDir, pageRows: 2 })).toMatchObject({ ok: true, checked: counts });
    });

    it("reads one page at a time: no query returns more rows than a page", async () => {
      let largest = 0;
      let queries = 0;
      const rowCounter: KyselyPlugin = {
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          queries += 1;
          largest = Math.max(largest, args.result.rows.length);
          return args.result;
        },
      };
      const counted = db.withPlugin(rowCounter);
      expect(await verifyLedger(counted, { pageRows: 2 })).toMatchObject({ ok: true, checked: { transfers: 8, auditEntries: 8 } });
      expect(largest).toBe(2);
      expect(queries).toBeGreaterThan(8 / 2);
    });

    /** The chain the payments went to: chain 1 on SQLite (one writer), this server's own chain on PostgreSQL (the batch runner's lane). */
    async function longestChain(): Promise<number> {
      const rows = await db.selectFrom("audit_log").select(["chain", (eb) => eb.fn.countAll<number>().as("entries")]).groupBy("chain").execute();
      const longest = rows.sort((a, b) => Number(b.entries) - Number(a.entries))[0]!;
      expect(Number(longest.entries)).toBeGreaterThanOrEqual(5);
      return Number(longest.chain);
    }

    it("an audit entry rewritten with a valid hash of its own: the next entry no longer links, at every page size", async () => {
      const chain = await longestChain();
      const entry = db.selectFrom("audit_log").selectAll().where("chain", "=", chain).where("seq", "=", 4);
      const row = await entry.executeTakeFirstOrThrow();
      const forged = row.entry_json.replace(/"amountMinor",\d+/, '"amountMinor",1');
      expect(forged).not.toBe(row.entry_json);
      await db.updateTable("audit_log").set({ entry_json: forged, hash: chainHash(row.prev_hash, forged) }).where("chain", "=", chain).where("seq", "=", 4).execute();
      try {
        expect(await verdictEverywhere()).toEqual(new Set(["AUDIT_ENTRY_MISMATCH", "AUDIT_CHAIN_BROKEN"]));
        const paged = await verifyLedger(db, { pageRows: 2 });
        expect(paged.violations).toContainEqual({ code: "AUDIT_CHAIN_BROKEN", message: `audit entry ${chain}/5 does not link to the entry before it` });
      } finally {
        await db.updateTable("audit_log").set({ entry_json: row.entry_json, hash: row.hash }).where("chain", "=", chain).where("seq", "=", 4).execute();
      }
      expect(await verdictEverywhere()).toEqual(new Set());
    });

    it("an audit entry deleted: the gap, the orphaned transfer and the head, at every page size", async () => {
      const chain = await longestChain();
      const row = await db.selectFrom("audit_log").selectAll().where("chain", "=", chain).where("seq", "=", 4).executeTakeFirstOrThrow();
      await db.deleteFrom("audit_log").where("chain", "=", chain).where("seq", "=", 4).execute();
      try {
        expect(await verdictEverywhere()).toEqual(new Set(["AUDIT_MISSING", "AUDIT_CHAIN_BROKEN", "AUDIT_HEAD_MISMATCH"]));
        expect((await verifyLedger(db, { pageRows: 2 })).violations).toContainEqual({ code: "AUDIT_CHAIN_BROKEN", message: `audit entry ${chain}/5 where 4 was expected` });
      } finally {
        await db.insertInto("audit_log").values(row).execute();
      }
      expect(await verdictEverywhere()).toEqual(new Set());
    });

    it("the last entry of a chain deleted: the head still names it", async () => {
      const chain = await longestChain();
      const last = await db.selectFrom("audit_log").selectAll().where("chain", "=", chain).orderBy("seq", "desc").executeTakeFirstOrThrow();
      await db.deleteFrom("audit_log").where("chain", "=", chain).where("seq", "=", last.seq).execute();
      try {
        expect(await verdictEverywhere()).toEqual(new Set(["AUDIT_MISSING", "AUDIT_HEAD_MISMATCH"]));
        expect((await verifyLedger(db)).violations).toContainEqual({ code: "AUDIT_HEAD_MISMATCH", message: `audit head of chain ${chain} is at ${last.seq}, the chain has ${last.seq - 1} entries` });
      } finally {
        await db.insertInto("audit_log").values(last).execute();
      }
      expect(await verdictEverywhere()).toEqual(new Set());
    });

    it("a transfer amount edited: balances summed over every page, the settlement and the audit entry", async () => {
      const transfer = await db.selectFrom("transfers").selectAll().where("kind", "=", "payment").orderBy("id").executeTakeFirstOrThrow();
      await db.updateTable("transfers").set({ amount_minor: Number(transfer.amount_minor) + 1 }).where("id", "=", transfer.id).execute();
      try {
        expect(await verdictEverywhere()).toEqual(new Set(["BALANCE_MISMATCH", "SETTLEMENT_AMOUNT", "AUDIT_ENTRY_MISMATCH"]));
      } finally {
        await db.updateTable("transfers").set({ amount_minor: transfer.amount_minor }).where("id", "=", transfer.id).execute();
      }
      expect(await verdictEverywhere()).toEqual(new Set());
    });

    it("a payment's reversed total edited: its reversal rows, read on other pages, disagree", async () => {
      const payment = await db.selectFrom("payments").select(["payment_id", "reversed_minor"]).where("reversed_minor", ">", 0).orderBy("payment_id").executeTakeFirstOrThrow();
      await db.updateTable("payments").set({ reversed_minor: 0 }).where("payment_id", "=", payment.payment_id).execute();
      try {
        expect(await verdictEverywhere()).toEqual(new Set(["REVERSAL_TOTAL_MISMATCH"]));
      } finally {
        await db.updateTable("payments").set({ reversed_minor: payment.reversed_minor }).where("payment_id", "=", payment.payment_id).execute();
      }
    });

    it("refuses a page size that is not a positive integer", async () => {
      await expect(verifyLedger(db, { pageRows: 0 })).rejects.toThrow(/positive integer/);
    });
  });
}
