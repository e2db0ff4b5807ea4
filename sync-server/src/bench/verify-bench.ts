/**
 * What `admin verify` costs on a large ledger, streamed in keyset pages (ledger/verify.ts) against the
 * whole-snapshot check it replaced (loadLedgerSnapshot + checkLedger, still used by the property
 * tests): wall time and the JS heap's peak above its level before the run (sampled every 5 ms, after
 * a forced GC, so run with --expose-gc). A throwaway SQLite data directory holds the demo seed plus
 * `payments` approved payments, each with its settling transfer and audit entry.
 *
 *   node --expose-gc sync-server/dist/bench/verify-bench.js [--payments 100000] [--page-rows 1000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { demoSeed } from "../admin/demo-seed.js";
import { inTransaction, openDatabase, type Db } from "../db/database.js";
import { findAccount, postTransfer } from "../db/repositories/accounts.js";
import { insertFinalPayment } from "../db/repositories/payments.js";
import { checkLedger } from "../ledger/invariants.js";
import { loadLedgerSnapshot, verifyLedger } from "../ledger/verify.js";

const SEED_BATCH = 1_000;

async function seed(db: Db, payments: number): Promise<void> {
  const user = await findAccount(db, "user", "demo-user", "JPY");
  const store = await findAccount(db, "store", "demo-store", "JPY");
  if (user === undefined || store === undefined) throw new Error("demo seed accounts missing");
  for (let start = 0; start < payments; start += SEED_BATCH) {
    await inTransaction(db, async (tx) => {
      for (let i = start; i < Math.min(payments, start + SEED_BATCH); i += 1) {
        const paymentId = `bench-pay-${String(i).padStart(8, "0")}`;
        await insertFinalPayment(tx, {
          paymentId, registerPaymentId: paymentId, storeId: "demo-store", registerId: "demo-reg-1", amountMinor: 1, currency: "JPY", code: "0", state: "approved",
          reason: null, expiresAt: 0, claimedByPhone: null, reference: null, linesJson: null, createdAt: i, updatedAt: i, tender: "card",
        });
        const posted = await postTransfer(tx, {
          id: `bench-tx-${String(i).padStart(8, "0")}`, debitAccountId: user.id, creditAccountId: store.id, amountMinor: 1, currency: "JPY",
          kind: "payment", paymentId, reversesTransferId: null, createdAt: i,
        }, { debitMayGoNegative: false });
        if (posted !== "posted") throw new Error(`payment ${i}: ${posted}`);
      }
    });
  }
}

async function measure(run: () => Promise<{ ok: boolean; violations: number }>): Promise<{ ms: number; heapPeakMb: number; ok: boolean; violations: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const started = performance.now();
  const result = await run();
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { ms, heapPeakMb: (peak - base) / 2 ** 20, ...result };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { payments: { type: "string", default: "100000" }, "page-rows": { type: "string", default: "1000" } } });
  const payments = Number(values.payments);
  const pageRows = Number(values["page-rows"]);
  if ((globalThis as { gc?: unknown }).gc === undefined) process.stderr.write("warning: run with node --expose-gc for a steady heap baseline\n");
  const dataDir = mkdtempSync(join(tmpdir(), "codepay-verify-bench-"));
  try {
    await demoSeed({ dataDir });
    const db = await openDatabase(dataDir);
    try {
      const seeding = performance.now();
      await seed(db, payments);
      process.stdout.write(`seeded ${payments} approved payments (+ transfers, audit entries) in ${((performance.now() - seeding) / 1_000).toFixed(1)} s\n`);
      const snapshot = await measure(async () => {
        const violations = checkLedger(await loadLedgerSnapshot(db));
        return { ok: violations.length === 0, violations: violations.length };
      });
      const streamed = await measure(async () => {
        const report = await verifyLedger(db, { pageRows });
        return { ok: report.ok, violations: report.violations.length };
      });
      for (const [name, figure] of [["whole snapshot", snapshot], [`keyset pages of ${pageRows}`, streamed]] as const) {
        process.stdout.write(`${name.padEnd(22)} ${figure.ms.toFixed(0).padStart(7)} ms  heap peak +${figure.heapPeakMb.toFixed(1)} MB  ok=${figure.ok} violations=${figure.violations}\n`);
      }
    } finally {
      await db.destroy();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
