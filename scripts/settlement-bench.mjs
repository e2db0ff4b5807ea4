// In-process settlement path: create → claim → approve → result delivered → ack, N payments, on a real SQLite file
// (group commit). CPU per payment of the database layer without HTTP/MQTT/crypto (user and system apart: the
// system share includes the WAL fdatasyncs, whose number per payment depends on timing, also printed).
// Usage: node scripts/settlement-bench.mjs [N] after npm run build (--help: what the figures mean)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomInt, randomUUID } from "node:crypto";
const HELP = `usage: node scripts/settlement-bench.mjs [N]   (after npm run build)

The settlement path in one process, no HTTP, MQTT or crypto: create -> claim -> approve -> result -> ack,
16 at a time on a real SQLite file with group commit, after 300 warm-up payments.

arguments:
  N       payments measured (default: 2000)
  --help  print this help and exit

figures (one JSON line), each per measured payment:
  cpu_ms_per_payment (user / system)  this process's CPU: the database layer and the settlement code
  wal_fsyncs_per_payment              WAL fdatasyncs (group commit: fewer than one when payments share them)
  wall_ms_per_payment                 elapsed time / N with 16 in flight
`;
const args = process.argv.slice(2);
if (args.includes("--help")) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (args.length > 1 || (args[0] !== undefined && !/^[1-9]\d*$/.test(args[0]))) {
  process.stderr.write(`settlement-bench: expected one positive whole number of payments, got ${args.join(" ")} (--help for usage)\n`);
  process.exit(2);
}
const dist = new URL("../sync-server/dist", import.meta.url).pathname;
const { demoSeed, DEMO, silentLogger } = await import(`${dist}/index.js`);
const { openDatabase, findPhone } = await import(`${dist}/parts.js`);
const { groupCommitStatsOf } = await import(`${dist}/db/database.js`);
const { createPayment, acknowledgeResult } = await import(`${dist}/settlement/register-requests.js`);
const { claimCode, approvePayment } = await import(`${dist}/settlement/shopper-requests.js`);
const n = Number(args[0] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), "settle-bench-"));
await demoSeed({ dataDir: dir });
const db = await openDatabase(dir);
let delivered = [];
const context = { db, clock: () => Date.now(), logger: silentLogger, codeTtlMs: 60_000, codeRandomDigits: 6, allocationAttemptsMax: 20, randomDigit: () => randomInt(10), deliverResults: (rows) => delivered.push(...rows) };
const register = { storeId: DEMO.storeId, registerId: DEMO.registerId };
const phone = await findPhone(db, DEMO.phoneId);
async function one() {
  const paymentId = randomUUID();
  const issued = await createPayment(context, register, { v: 1, type: "payment.create", requestId: randomUUID(), paymentId, amount: { minor: 1, currency: "JPY" } });
  if (issued.type !== "payment.issued") throw new Error(JSON.stringify(issued));
  const claimed = await claimCode(context, phone, { requestId: randomUUID(), code: issued.code });
  if (!claimed.ok) throw new Error(JSON.stringify(claimed));
  const approved = await approvePayment(context, phone, paymentId, { requestId: randomUUID() });
  if (!approved.ok) throw new Error(JSON.stringify(approved));
  // The server's delivery publishes right after the commit and writes nothing (the row is stamped sent at insert).
  for (const row of delivered.splice(0)) {
    await acknowledgeResult(context, register, { v: 1, type: "result.ack", resultId: row.resultId, paymentId: row.paymentId });
  }
}
for (let i = 0; i < 300; i++) await one(); // warm-up
const concurrency = 16;
const syncs0 = groupCommitStatsOf(db).syncs;
const cpu0 = process.cpuUsage(); const t0 = performance.now();
let left = n;
await Promise.all(Array.from({ length: concurrency }, async () => { while (left-- > 0) await one(); }));
const cpu = process.cpuUsage(cpu0); const wall = performance.now() - t0;
const perPayment = (value, digits = 3) => +(value / n).toFixed(digits);
console.log(JSON.stringify({
  payments: n,
  cpu_ms_per_payment: perPayment((cpu.user + cpu.system) / 1000),
  cpu_user_ms_per_payment: perPayment(cpu.user / 1000),
  cpu_system_ms_per_payment: perPayment(cpu.system / 1000),
  wal_fsyncs_per_payment: perPayment(groupCommitStatsOf(db).syncs - syncs0, 2),
  wall_ms_per_payment: perPayment(wall),
}));
await db.destroy();
rmSync(dir, { recursive: true, force: true });
