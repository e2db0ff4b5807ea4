/**
 * Issue 24: PostgreSQL restarts under load. Two `codepay-server serve` processes share one PostgreSQL
 * and one mosquitto while simulated registers and phones pay without pause; first PostgreSQL is
 * restarted with `pg_ctl restart -m fast` (every session terminated, 57P01), then its postmaster is
 * SIGKILLed and started again a few seconds later. Both instances must stay up, refuse meanwhile with
 * a clean retryable SERVER_UNAVAILABLE (503 + Retry-After on HTTP, an `error` reply on MQTT), say
 * `database: "down"` on /health, serve again within 10 s of the database being back, and lose or
 * double nothing: every payment approved exactly once, the ledger balanced, `admin verify` passing.
 *
 * Needs Debian's postgresql and mosquitto: a loud skip without them, a failure in CI
 * (CODEPAY_REQUIRE_SYSTEM_TOOLS=1).
 */
import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { balances, createStore, enrollRegister, enrollUser, listPayments, topUp, verify, writeBrokerFiles } from "@codepay/sync-server";
import { SHOPPER_API_PREFIX, type Money, type PaymentStateMessage } from "@codepay/contract";
import { SimPhone, requireToolOrSkip, type PhoneResult } from "@codepay/hardware-sim";
import { SimRegister } from "../../src/register/sim-register.js";
import { freeLoopbackPort, serverBin, startMosquitto, startServerInstance, startThrowawayPostgres, type MosquittoProcess, type ServerInstance, type ThrowawayPostgres } from "../../src/cluster/index.js";
import { postgresOrSkip } from "../helpers/postgres-or-skip.js";

const hasTools = requireToolOrSkip("mosquitto", "database restart tests (two instances, mosquitto, PostgreSQL)") && postgresOrSkip("these tests");

const STORE = "restart-store";
const CURRENCY = "JPY";
const AMOUNT_MINOR = 300;
const REGISTERS = 4;
const TOPUP_MINOR = 1_000_000;
/** The issue's bound: serving again this soon after the database is back. */
const BACK_WITHIN_MS = 10_000;
/** How long the killed PostgreSQL stays down (long enough to watch the refusals). */
const DOWN_FOR_MS = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Tally {
  completed: number;
  /** MQTT error replies SERVER_UNAVAILABLE and HTTP 503 SERVER_UNAVAILABLE seen by the load. */
  refusedUnavailable: number;
  /** Anything else that went wrong and was retried (transport errors, timeouts). */
  otherFailures: string[];
  /** Each completed payment and when (Date.now()). */
  completedAt: number[];
  results: PaymentStateMessage[];
}

/** Retries a phone call on any instance while it answers 503 or nothing; anything else is the answer. */
async function phoneCall<T>(phones: readonly SimPhone[], tally: Tally, call: (phone: SimPhone) => Promise<PhoneResult<T>>): Promise<PhoneResult<T>> {
  for (let attempt = 0; ; attempt += 1) {
    const result = await call(phones[attempt % phones.length]!);
    if (result.ok || (result.status !== 0 && result.status !== 503)) return result;
    if (result.code === "SERVER_UNAVAILABLE") tally.refusedUnavailable += 1;
    else tally.otherFailures.push(`${result.status} ${result.code}`);
    if (attempt > 400) return result;
    await sleep(100);
  }
}

/** One payment, retried through every refusal with the same paymentId and create requestId (as the agent does). */
async function payThroughFaults(register: SimRegister, phones: readonly SimPhone[], paymentId: string, amount: Money, tally: Tally): Promise<void> {
  const requestId = randomUUID();
  let code: string | undefined;
  for (let attempt = 0; code === undefined; attempt += 1) {
    try {
      code = (await register.createPayment(paymentId, amount, requestId)).code;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.startsWith("SERVER_UNAVAILABLE")) tally.refusedUnavailable += 1;
      else tally.otherFailures.push(message);
      if (attempt > 400) throw error;
      await sleep(100);
    }
  }
  const result = register.waitForResult(paymentId);
  result.catch(() => undefined);
  const claim = await phoneCall(phones, tally, (phone) => phone.claim(code));
  if (!claim.ok) throw new Error(`claim ${paymentId}: ${claim.code} ${claim.message}`);
  const approval = await phoneCall(phones, tally, (phone) => phone.approve(paymentId));
  if (!approval.ok && approval.code !== "PAYMENT_SETTLED") throw new Error(`approve ${paymentId}: ${approval.code} ${approval.message}`);
  tally.results.push(await result);
  tally.completed += 1;
  tally.completedAt.push(Date.now());
}

async function health(instance: ServerInstance): Promise<{ status: number; database?: string }> {
  try {
    const response = await fetch(`${instance.operator}/health`);
    const body = (await response.json()) as { database?: string };
    return { status: response.status, ...(body.database !== undefined ? { database: body.database } : {}) };
  } catch {
    return { status: 0 };
  }
}

async function waitFor(what: string, withinMs: number, check: () => Promise<boolean> | boolean): Promise<number> {
  const startedMs = Date.now();
  while (Date.now() - startedMs < withinMs) {
    if (await check()) return Date.now() - startedMs;
    await sleep(50);
  }
  throw new Error(`not within ${withinMs} ms: ${what}`);
}

describe.skipIf(!hasTools)("PostgreSQL restarted and killed under load, two instances", () => {
  let pg: ThrowawayPostgres;
  let dataDir: string;
  let broker: MosquittoProcess;
  let instances: ServerInstance[] = [];
  const registers: SimRegister[] = [];
  const phones: SimPhone[][] = [];

  beforeAll(async () => {
    pg = await startThrowawayPostgres({ fsync: false });
    process.env["DATABASE_URL"] = pg.url;
    dataDir = await mkdtemp(join(tmpdir(), "codepay-pg-restart-"));
    await createStore({ dataDir, id: STORE, name: "Restart Store", currency: CURRENCY });
    const enrolled = [];
    const credentials: string[] = [];
    for (let index = 0; index < REGISTERS; index += 1) {
      enrolled.push(await enrollRegister({ dataDir, storeId: STORE, registerId: `restart-reg-${index}`, name: `Register ${index}` }));
      const user = await enrollUser({ dataDir, userId: `restart-user-${index}`, name: `Shopper ${index}`, phoneId: `+8171${String(index).padStart(8, "0")}` });
      await topUp({ dataDir, userId: `restart-user-${index}`, amountMinor: TOPUP_MINOR, currency: CURRENCY, requestId: `restart-topup-${index}` });
      credentials.push(user.subscriberCredential);
    }
    const brokerPort = await freeLoopbackPort();
    const files = await writeBrokerFiles({ dataDir, out: join(dataDir, "broker"), instances: 2, port: brokerPort, host: "127.0.0.1" });
    broker = await startMosquitto(files.configFile, brokerPort, dataDir);
    instances = await Promise.all(
      files.services.map((service) =>
        startServerInstance({ dataDir, databaseUrl: pg.url, brokerUrl: broker.url, brokerUsername: service.username, brokerPasswordFile: service.passwordFile, httpRateLimits: false }),
      ),
    );
    for (const [index, register] of enrolled.entries()) {
      registers.push(new SimRegister({ mqttUrl: broker.url, storeId: STORE, registerId: register.registerId, password: register.password, resendEveryMs: 1_000, replyTimeoutMs: 60_000 }));
      phones.push(instances.map((instance) => new SimPhone({ gatewayUrl: instance.gateway, subscriberCredential: credentials[index]!, requestTimeoutMs: 5_000 })));
    }
    await Promise.all(registers.map((register) => register.connect()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(registers.map((register) => register.stop()));
    await Promise.all(instances.map((instance) => instance.kill("SIGTERM")));
    await broker?.stop();
    await pg?.stop();
    delete process.env["DATABASE_URL"];
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test("pg_ctl restart -m fast, then kill -9 of the postmaster: both instances stay up, refuse cleanly, serve again within 10 s, nothing lost or doubled", async () => {
    const tally: Tally = { completed: 0, refusedUnavailable: 0, otherFailures: [], completedAt: [], results: [] };
    const paymentIds: string[] = [];
    let stop = false;
    const workers = registers.map(async (register, index) => {
      for (let n = 0; !stop; n += 1) {
        const paymentId = `restart-${index}-${n}`;
        paymentIds.push(paymentId);
        await payThroughFaults(register, phones[index]!, paymentId, { minor: AMOUNT_MINOR, currency: CURRENCY }, tally);
      }
    });
    // A worker's failure is reported with the instances' logs and does not hide behind a later wait.
    const failed = Promise.all(workers).then(
      () => undefined,
      async (error: unknown) => {
        stop = true;
        process.stderr.write(`database restart: a payment failed; /health now: ${JSON.stringify(await Promise.all(instances.map(health)))}\n${instances.map((i) => `${i.name} (exit ${String(i.child.exitCode ?? i.child.signalCode)}):\n${i.log().slice(-3000)}`).join("\n----\n")}\n`);
        throw error;
      },
    );
    failed.catch(() => undefined);
    const completedAfter = (count: number) => waitFor(`${count} payments completed`, 60_000, () => tally.completed >= count);
    try {
      await completedAfter(8);

      // 1. pg_ctl restart -m fast under load: every session terminated (57P01).
      await pg.restart();
      const backAfterRestart = Date.now();
      const doneBeforeRestart = tally.completed;
      const healthyAfterRestart = await waitFor("both instances healthy after the restart", BACK_WITHIN_MS, async () => (await Promise.all(instances.map(health))).every((each) => each.status === 200 && each.database === "up"));
      await waitFor("a payment completed after the restart", BACK_WITHIN_MS, () => tally.completedAt.some((at) => at > backAfterRestart));
      await completedAfter(doneBeforeRestart + 4);

      // 2. SIGKILL of the postmaster, down for a few seconds.
      const refusalsBeforeKill = tally.refusedUnavailable;
      await pg.killPostmaster();
      // Meanwhile: /health says database down (503), a phone is refused 503 SERVER_UNAVAILABLE with Retry-After.
      await waitFor("both instances report database: down", DOWN_FOR_MS, async () => (await Promise.all(instances.map(health))).every((each) => each.status === 503 && each.database === "down"));
      const refused = await fetch(`${instances[0]!.gateway}${SHOPPER_API_PREFIX}/claims`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${"x".repeat(32)}` },
        body: JSON.stringify({ requestId: randomUUID(), code: "12345678" }),
      });
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("SERVER_UNAVAILABLE");
      await waitFor("the load refused with SERVER_UNAVAILABLE", DOWN_FOR_MS, () => tally.refusedUnavailable > refusalsBeforeKill);
      await sleep(DOWN_FOR_MS);
      expect(instances.every((instance) => instance.child.exitCode === null && instance.child.signalCode === null)).toBe(true);
      await pg.start();
      const backAfterKill = Date.now();
      const doneBeforeStart = tally.completed;
      const healthyAfterKill = await waitFor("both instances healthy after the kill", BACK_WITHIN_MS, async () => (await Promise.all(instances.map(health))).every((each) => each.status === 200 && each.database === "up"));
      await waitFor("a payment completed after the kill", BACK_WITHIN_MS, () => tally.completedAt.some((at) => at > backAfterKill));
      await completedAfter(doneBeforeStart + 4);
      process.stderr.write(`database restart: healthy ${healthyAfterRestart} ms after pg_ctl restart, ${healthyAfterKill} ms after the killed postmaster started again; ${tally.refusedUnavailable} SERVER_UNAVAILABLE refusals; other retried failures: ${tally.otherFailures.length}\n`);
    } catch (error) {
      process.stderr.write(`database restart test failed; /health now: ${JSON.stringify(await Promise.all(instances.map(async (i) => (await fetch(`${i.operator}/health`).then((r) => r.text()).catch((e) => String(e))))))}\n${instances.map((i) => i.log().slice(-3000)).join("\n----\n")}\n`);
      throw error;
    } finally {
      stop = true;
      await failed.catch(() => undefined);
    }
    await failed;

    // Both instances stayed up throughout.
    expect(instances.every((instance) => instance.child.exitCode === null && instance.child.signalCode === null)).toBe(true);
    expect(instances.map((instance) => instance.log()).join("\n")).not.toMatch(/Unhandled 'error' event|uncaughtException/);

    // Every payment reached its register approved, once; the ledger holds exactly one amount per payment.
    const total = paymentIds.length;
    expect(tally.completed).toBe(total);
    expect(tally.results.every((result) => result.state === "approved")).toBe(true);
    const listed = (await listPayments({ dataDir, limit: 1_000 })).payments.filter((p) => p.paymentId.startsWith("restart-"));
    expect(listed.map((p) => p.paymentId).sort()).toEqual([...paymentIds].sort());
    expect(listed.every((p) => p.state === "approved")).toBe(true);
    const ledger = await balances({ dataDir });
    expect(ledger.accounts.find((a) => a.kind === "store" && a.ownerId === STORE)?.balanceMinor).toBe(total * AMOUNT_MINOR);
    const spent = ledger.accounts.filter((a) => a.kind === "user").reduce((sum, a) => sum + (TOPUP_MINOR - a.balanceMinor), 0);
    expect(spent).toBe(total * AMOUNT_MINOR);
    expect(ledger.totals[CURRENCY]).toBe(0);
    expect((await verify({ dataDir })).violations).toEqual([]);
    const cli = spawnSync(process.execPath, [serverBin, "admin", "verify", "--data-dir", dataDir], { env: { ...process.env, DATABASE_URL: pg.url }, encoding: "utf8" });
    expect(cli.stdout).toMatch(/^ledger OK/);
    expect(cli.status).toBe(0);
  }, 240_000);
});
