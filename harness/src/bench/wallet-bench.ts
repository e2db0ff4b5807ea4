/**
 * bench:wallet: what the shopper wallet's reads cost on a SQLite file of realistic size. Seeds stores,
 * registers, users with one phone each and payments claimed by them (with receipt lines; no refunds, so
 * the refunds query finds none but runs),
 * then reads history pages (the first and one deep in a busy user's history), receipts and balances the
 * way the shopper API does (db/repositories/wallet.ts), one after the other, and prints CPU and wall
 * time per read. These reads run beside the settlement engine, not in its batches: the CPU per read is
 * what one costs the server's one JavaScript thread.
 */
import { cpus, loadavg, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openDatabase, walletBalances, walletPayment, walletPaymentsPage, walletReversals, type Db } from "@codepay/sync-server/parts";
import { parseBenchFlags, type BenchUsage, type FlagSpec } from "./bench-flags.js";
import { LatencySamples, round } from "./latency-stats.js";
import { positiveOption } from "./positive-option.js";

const USAGE = {
  command: "npm run bench:wallet --",
  summary: [
    "Shopper wallet reads on a seeded SQLite file: history pages (first, and deep in the busiest user's",
    "history), receipts and balances, each as the shopper API runs it; CPU and wall time per read.",
  ].join("\n"),
  flags: {
    payments: { type: "string", default: "200000", value: "N", description: "payments seeded, spread over the users" },
    users: { type: "string", default: "2000", value: "N", description: "users (one phone each); one of them gets 5% of all payments" },
    reads: { type: "string", default: "2000", value: "N", description: "reads timed per kind" },
  },
  figures: [
    "seed: rows written and how long it took (not a figure of the wallet)",
    "per read kind: CPU ms per read (process user+system over the reads / reads), wall median / p99 ms",
    "  history first page: 10 newest of a user's payments with store, register, approval time and refunds",
    "  history deep page: 10 payments half way down the busiest user's history (keyset `before`)",
    "  receipt: one payment with its lines and refunds; balances: the user's accounts",
    "load average before and after: wall times on a loaded machine spread, CPU per read less so",
  ],
} satisfies BenchUsage<Record<string, FlagSpec>>;

interface Sizes {
  readonly payments: number;
  readonly users: number;
  readonly reads: number;
}

function parseFlags(): Sizes | undefined {
  try {
    const values = parseBenchFlags(process.argv.slice(2), USAGE);
    if (values === undefined) return undefined;
    const sizes = { payments: positiveOption("payments", values.payments), users: positiveOption("users", values.users), reads: positiveOption("reads", values.reads) };
    if (!Object.values(sizes).every(Number.isInteger)) throw new Error("every flag takes a whole number");
    if (sizes.users < 2) throw new Error("--users must be at least 2");
    return sizes;
  } catch (error) {
    console.error(`bench:wallet: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}

const T0 = Date.UTC(2030, 0, 1);
const LINES = JSON.stringify([{ text: "Green tea 500ml", amountMinor: 180 }, { text: "Rice ball x2", amountMinor: 320 }, { text: "Thank you" }]);
const userOf = (index: number): string => `bench-user-${index}`;
const phoneOf = (index: number): string => `+81${String(index).padStart(10, "0")}`;

/** The busiest user (index 0) claims 5% of the payments; the rest are spread evenly. */
function payerOf(payment: number, users: number): number {
  return payment % 20 === 0 ? 0 : 1 + (payment % (users - 1));
}

async function seed(db: Db, sizes: Sizes): Promise<void> {
  const rowsPerInsert = 500;
  await db.insertInto("stores").values({ id: "bench-store", name: "Bench Store", currency: "JPY", created_at: T0 }).execute();
  await db.insertInto("carriers").values({ id: "demo-carrier", public_key_pem: "unused by the bench", created_at: T0 }).onConflict((oc) => oc.column("id").doNothing()).execute();
  await db.insertInto("registers").values({ id: "bench-reg", store_id: "bench-store", name: "Register 1", password_hash: "x", broker_password_hash: null, created_at: T0 }).execute();
  for (let start = 0; start < sizes.users; start += rowsPerInsert) {
    const indexes = Array.from({ length: Math.min(rowsPerInsert, sizes.users - start) }, (_, offset) => start + offset);
    await db.insertInto("users").values(indexes.map((index) => ({ id: userOf(index), name: `User ${index}`, created_at: T0, pin_hash: null }))).execute();
    await db.insertInto("phones").values(indexes.map((index) => ({ phone_id: phoneOf(index), user_id: userOf(index), carrier: "demo-carrier", credential_sha256: `${index}`.padStart(64, "0"), created_at: T0 }))).execute();
    await db.insertInto("accounts").values(indexes.map((index) => ({ id: `acct-${index}`, kind: "user" as const, owner_id: userOf(index), currency: "JPY", balance_minor: 1_000_000, created_at: T0 }))).execute();
  }
  for (let start = 0; start < sizes.payments; start += rowsPerInsert) {
    const indexes = Array.from({ length: Math.min(rowsPerInsert, sizes.payments - start) }, (_, offset) => start + offset);
    await db.transaction().execute(async (tx) => {
      await tx.insertInto("payments").values(indexes.map((index) => ({
        payment_id: `bench-pay-${index}`, register_payment_id: `bench-pay-${index}`, store_id: "bench-store", register_id: "bench-reg", amount_minor: 500, currency: "JPY", code: String(index % 10_000_000).padStart(7, "0"),
        open_code: null, state: index % 10 === 9 ? ("declined" as const) : ("approved" as const), reason: null, expires_at: T0 + index * 1000 + 60_000,
        claimed_by_phone: phoneOf(payerOf(index, sizes.users)), reference: index % 10 === 9 ? null : `bench-transfer-${index}`, lines_json: LINES,
        created_at: T0 + index * 1000, updated_at: T0 + index * 1000 + 500,
      }))).execute();
    });
  }
}

/** Times `read` `count` times in a row: CPU per read and wall percentiles. */
async function timeReads(label: string, count: number, read: (index: number) => Promise<unknown>): Promise<void> {
  const wall = new LatencySamples(count);
  for (let index = 0; index < Math.min(50, count); index += 1) await read(index); // prepared statements, page cache
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await read(index);
    wall.add(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerRead = (cpu.user + cpu.system) / 1000 / count;
  console.log(`   ${label.padEnd(20)} CPU ${round(cpuMsPerRead, 3)} ms/read   wall median ${round(wall.percentile(50), 3)} ms, p99 ${round(wall.percentile(99), 3)} ms   (${count} reads)`);
}

async function historyPage(db: Db, userId: string, before: { createdAt: number; paymentId: string } | undefined): Promise<number> {
  const rows = await walletPaymentsPage(db, userId, before, 11);
  const reversals = await walletReversals(db, rows.slice(0, 10).map((row) => row.paymentId));
  return rows.length + reversals.length;
}

const sizes = parseFlags();
if (sizes === undefined) process.exit(0);
const load = (): string => loadavg().map((value) => value.toFixed(2)).join(" ");
const dir = mkdtempSync(join(tmpdir(), "codepay-wallet-bench-"));
const db = await openDatabase(dir);
try {
  console.log(`bench:wallet: ${cpus().length} cores, load average ${load()} (1/5/15 min)`);
  const seedStarted = performance.now();
  await seed(db, sizes);
  console.log(`   seed: ${sizes.payments} payments over ${sizes.users} users in ${round((performance.now() - seedStarted) / 1000, 1)} s (SQLite file, migrations applied)`);
  const busiest = userOf(0);
  const busiestPayments = Math.ceil(sizes.payments / 20);
  const middle = Math.floor(busiestPayments / 2) * 20; // a payment index the busiest user claimed, half way down
  const deepKey = { createdAt: T0 + middle * 1000, paymentId: `bench-pay-${middle}` };
  const someUser = (index: number): string => userOf(1 + (index % (sizes.users - 1)));
  await timeReads("history first page", sizes.reads, (index) => historyPage(db, someUser(index), undefined));
  await timeReads("history deep page", sizes.reads, () => historyPage(db, busiest, deepKey));
  await timeReads("receipt", sizes.reads, async (index) => {
    const paymentIndex = (index * 7919) % sizes.payments;
    const row = await walletPayment(db, userOf(payerOf(paymentIndex, sizes.users)), `bench-pay-${paymentIndex}`);
    if (row === undefined) throw new Error(`payment ${paymentIndex} not found for its payer`);
    return walletReversals(db, [row.paymentId]);
  });
  await timeReads("balances", sizes.reads, (index) => walletBalances(db, someUser(index)));
  console.log(`   load average after: ${load()}`);
} finally {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
}
