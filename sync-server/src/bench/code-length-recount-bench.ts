/**
 * What the code length sizer's count costs (settlement/code-length-sizer.ts), to decide where it runs:
 * per payment (on the hot path, inside the payment's transaction) or on a timer and on register
 * connects. A throwaway SQLite data directory holds `registers` enabled registers and as many open
 * codes; each figure is the mean over `rounds` recounts (two COUNT queries), next to the payment
 * transaction it would join: one INSERT of an open payment, committed (synchronous=FULL).
 *
 *   node sync-server/dist/bench/code-length-recount-bench.js [--rounds 2000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { demoSeed } from "../admin/demo-seed.js";
import { inTransaction, openDatabase, type Db } from "../db/database.js";
import { countOpenCodes, insertOpenPayment } from "../db/repositories/payments.js";
import { countEnabledRegisters } from "../db/repositories/registers.js";
import { withCheckDigit } from "@codepay/contract";

async function seed(db: Db, registers: number): Promise<void> {
  const rows = Array.from({ length: registers - 1 }, (_, i) => ({ id: `lane-${i + 2}`, store_id: "demo-store", name: `Lane ${i + 2}`, password_hash: "unused", broker_password_hash: null, created_at: 0 }));
  for (let i = 0; i < rows.length; i += 200) await db.insertInto("registers").values(rows.slice(i, i + 200)).execute();
  await inTransaction(db, async (tx) => {
    for (let i = 0; i < registers; i += 1) await insertOpenPayment(tx, openPayment(`open-${i}`, 10_000_000 + i));
  });
}

function openPayment(paymentId: string, digits: number) {
  return {
    paymentId, storeId: "demo-store", registerId: "demo-reg-1", amountMinor: 100, currency: "JPY", code: withCheckDigit(String(digits)), state: "pending" as const,
    reason: null, expiresAt: Number.MAX_SAFE_INTEGER, claimedByPhone: null, reference: null, linesJson: null, createdAt: 0, updatedAt: 0,
  };
}

async function meanUs(rounds: number, run: (round: number) => Promise<unknown>): Promise<number> {
  for (let round = 0; round < Math.min(100, rounds); round += 1) await run(-1 - round); // warm the statement cache
  const started = performance.now();
  for (let round = 0; round < rounds; round += 1) await run(round);
  return ((performance.now() - started) * 1_000) / rounds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "2000" } } });
  const rounds = Number(values.rounds);
  delete process.env["DATABASE_URL"];
  console.log(`registers (= open codes) | recount (2 COUNTs) µs | one payment INSERT + FULL commit µs | recount / payment`);
  for (const registers of [20, 500, 5_000, 50_000]) {
    const dir = mkdtempSync(join(tmpdir(), "codepay-recount-bench-"));
    try {
      await demoSeed({ dataDir: dir });
      const db = await openDatabase(dir);
      try {
        await seed(db, registers);
        const recountUs = await meanUs(rounds, () => Promise.all([countEnabledRegisters(db), countOpenCodes(db)]));
        let next = 0;
        const paymentUs = await meanUs(Math.min(rounds, 500), () => inTransaction(db, (tx) => insertOpenPayment(tx, openPayment(`bench-${next}`, 20_000_000 + next++))));
        console.log(`${registers} | ${recountUs.toFixed(1)} | ${paymentUs.toFixed(1)} | ${(recountUs / paymentUs).toFixed(2)}`);
      } finally {
        await db.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
