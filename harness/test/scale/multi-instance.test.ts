/**
 * Scale-out on engines people already run (issue 9): three `codepay-server serve` processes share one
 * PostgreSQL and one mosquitto (configured only by the files `admin broker files` wrote). Simulated
 * registers and phones pay through all three; one instance is SIGKILLed mid-run. No payment may be
 * lost or doubled, `admin verify` must pass, and the other two must carry on. Then the real agent,
 * unchanged, pays end to end through the same broker.
 *
 * Needs Debian's postgresql and mosquitto: a loud skip without them, a failure in CI
 * (CODEPAY_REQUIRE_SYSTEM_TOOLS=1).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { balances, createStore, enrollRegister, enrollUser, listPayments, scrapeMetricsText, silentLogger, topUp, verify, writeBrokerFiles, type BrokerFilesOutput } from "@codepay/sync-server";
import type { PaymentStateMessage } from "@codepay/contract";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { SimRegister } from "../../src/register/sim-register.js";
import { freeLoopbackPort, payWithFailover, serverBin, startMosquitto, startServerInstance, startThrowawayPostgres, type FailoverPhone, type MosquittoProcess, type ServerInstance, type ThrowawayPostgres } from "../../src/cluster/index.js";
import { postgresOrSkip } from "../helpers/postgres-or-skip.js";
import { pollUntil } from "../helpers/poll-until.js";

const hasTools = requireToolOrSkip("mosquitto", "scale-out tests (three instances, mosquitto, PostgreSQL)") && postgresOrSkip("these tests");

const STORE = "scale-store";
const CURRENCY = "JPY";
const AMOUNT_MINOR = 700;
const INSTANCES = 3;
const REGISTERS = 6;
const PAYMENTS_PER_REGISTER = 10;
/** The first instance dies once this many payments have completed (a count, not a time). */
const KILL_AFTER_COMPLETED = 18;
const TOPUP_MINOR = 1_000_000;

interface Seeded {
  registers: { registerId: string; password: string }[];
  credentials: string[];
}

async function seed(dataDir: string): Promise<Seeded> {
  await createStore({ dataDir, id: STORE, name: "Scale Store", currency: CURRENCY });
  const registers: Seeded["registers"] = [];
  for (let index = 0; index < REGISTERS + 1; index += 1) {
    const enrolled = await enrollRegister({ dataDir, storeId: STORE, registerId: `scale-reg-${index}`, name: `Register ${index}` });
    registers.push({ registerId: enrolled.registerId, password: enrolled.password });
  }
  const credentials: string[] = [];
  for (let index = 0; index < REGISTERS; index += 1) {
    const userId = `scale-user-${index}`;
    const user = await enrollUser({ dataDir, userId, name: `Shopper ${index}`, phoneId: `+8170${String(index).padStart(8, "0")}` });
    await topUp({ dataDir, userId, amountMinor: TOPUP_MINOR, currency: CURRENCY, requestId: `scale-topup-${index}` });
    credentials.push(user.subscriberCredential);
  }
  return { registers, credentials };
}

/** Register requests an instance has answered, from its own /metrics (its operator listener). */
async function requestsAnswered(instance: ServerInstance): Promise<number> {
  const text = await scrapeMetricsText(instance.operator);
  let total = 0;
  for (const match of text.matchAll(/^codepay_register_requests_total\{[^}]*\} (\d+)$/gm)) total += Number(match[1]);
  return total;
}

describe.skipIf(!hasTools)("three server instances on one PostgreSQL and one mosquitto", () => {
  let pg: ThrowawayPostgres;
  let dataDir: string;
  let seeded: Seeded;
  let files: BrokerFilesOutput;
  let broker: MosquittoProcess;
  let instances: ServerInstance[] = [];

  beforeAll(async () => {
    pg = await startThrowawayPostgres({ fsync: false });
    process.env["DATABASE_URL"] = pg.url;
    dataDir = await mkdtemp(join(tmpdir(), "codepay-scale-"));
    seeded = await seed(dataDir);
    const brokerPort = await freeLoopbackPort();
    files = await writeBrokerFiles({ dataDir, out: join(dataDir, "broker"), instances: INSTANCES, port: brokerPort, host: "127.0.0.1" });
    broker = await startMosquitto(files.configFile, brokerPort, dataDir);
    instances = await Promise.all(
      files.services.map((service) =>
        // No HTTP rate limits: each simulated phone pays about once a second, above the per-phone limit meant for shoppers.
        startServerInstance({ dataDir, databaseUrl: pg.url, brokerUrl: broker.url, brokerUsername: service.username, brokerPasswordFile: service.passwordFile, httpRateLimits: false }),
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill("SIGTERM")));
    await broker?.stop();
    await pg?.stop();
    delete process.env["DATABASE_URL"];
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test("the generated broker files confine every register and name one service account per instance", () => {
    expect(files.registers).toBe(REGISTERS + 1);
    expect(files.registersWithoutBrokerPassword).toEqual([]);
    expect(files.services.map((service) => service.username)).toEqual(["codepay-server-1", "codepay-server-2", "codepay-server-3"]);
  });

  test("under load, one instance SIGKILLed mid-run: every payment approved exactly once, the others carry on, admin verify passes", async () => {
    const registers = seeded.registers.slice(0, REGISTERS).map(
      (r) => new SimRegister({ mqttUrl: broker.url, storeId: STORE, registerId: r.registerId, password: r.password, resendEveryMs: 1_000, replyTimeoutMs: 60_000 }),
    );
    await Promise.all(registers.map((register) => register.connect()));
    const phones: FailoverPhone[] = seeded.credentials.map((credential, index) => ({
      viaGateway: instances.map((instance) => new SimPhone({ gatewayUrl: instance.gateway, subscriberCredential: credential })),
      preferred: index % INSTANCES,
    }));
    const victim = instances[0]!;
    let completed = 0;
    let completedAtKill: number | undefined;
    let answeredBeforeKill: number[] = [];
    let killed: Promise<unknown> | undefined;
    const results: PaymentStateMessage[] = [];

    const killOnce = async (): Promise<void> => {
      // Before the kill, every instance has been answering register requests (the shared subscription spreads them).
      answeredBeforeKill = await Promise.all(instances.map(requestsAnswered));
      completedAtKill = completed;
      await victim.kill("SIGKILL");
    };
    const worker = async (register: SimRegister, index: number): Promise<void> => {
      for (let n = 0; n < PAYMENTS_PER_REGISTER; n += 1) {
        results.push(await payWithFailover(register, phones[index]!, `scale-${index}-${n}`, { minor: AMOUNT_MINOR, currency: CURRENCY }));
        completed += 1;
        if (completed >= KILL_AFTER_COMPLETED && killed === undefined) killed = killOnce();
      }
    };
    try {
      await Promise.all(registers.map((register, index) => worker(register, index)));
      await killed;
    } catch (error) {
      // What the instances logged as errors explains a refusal the register saw (seen once under a full CI run: INTERNAL on a create).
      const errors = instances.flatMap((instance) => instance.log().split("\n").filter((line) => line.includes('"level":50')).map((line) => `${instance.name}: ${line.slice(0, 2_000)}`));
      throw new Error(`${error instanceof Error ? error.message : String(error)}\ninstance errors:\n${errors.join("\n") || "(none)"}`, { cause: error });
    } finally {
      await Promise.all(registers.map((register) => register.stop()));
    }

    expect(await victim.exited).toBe("SIGKILL");
    expect(answeredBeforeKill.every((answered) => answered > 0)).toBe(true);
    expect(completed - (completedAtKill ?? completed)).toBeGreaterThan(0);
    const survivors = instances.slice(1);
    expect(survivors.every((instance) => instance.child.exitCode === null && instance.child.signalCode === null)).toBe(true);
    expect((await Promise.all(survivors.map(requestsAnswered))).every((answered) => answered > 0)).toBe(true);

    // Every payment reached its register approved, once.
    const total = REGISTERS * PAYMENTS_PER_REGISTER;
    expect(results).toHaveLength(total);
    expect(results.every((result) => result.state === "approved")).toBe(true);
    const listed = (await listPayments({ dataDir, limit: 1_000 })).payments.filter((p) => p.paymentId.startsWith("scale-"));
    expect(listed).toHaveLength(total);
    expect(listed.every((p) => p.state === "approved")).toBe(true);

    // Nothing charged twice, nothing lost: the store holds exactly one amount per payment.
    const ledger = await balances({ dataDir });
    const store = ledger.accounts.find((a) => a.kind === "store" && a.ownerId === STORE);
    expect(store?.balanceMinor).toBe(total * AMOUNT_MINOR);
    const spent = ledger.accounts.filter((a) => a.kind === "user").reduce((sum, a) => sum + (TOPUP_MINOR - a.balanceMinor), 0);
    expect(spent).toBe(total * AMOUNT_MINOR);
    expect(ledger.totals[CURRENCY]).toBe(0);
    expect((await verify({ dataDir })).violations).toEqual([]);
    const cli = spawnSync(process.execPath, [serverBin, "admin", "verify", "--data-dir", dataDir], { env: { ...process.env, DATABASE_URL: pg.url }, encoding: "utf8" });
    expect(cli.stdout).toMatch(/^ledger OK/);
    expect(cli.status).toBe(0);
  });

  test("an instance whose service password the broker refuses exits 1 and says why; the others are untouched", async () => {
    const wrongPasswordFile = join(dataDir, "wrong-service-password");
    await writeFile(wrongPasswordFile, "not-the-service-password\n", { mode: 0o600 });
    const run = spawnSync(
      process.execPath,
      [serverBin, "serve", "--data-dir", dataDir, "--http-port", "0", "--gateway-port", "0", "--operator-port", "0", "--broker-url", broker.url, "--broker-username", "codepay-server-2", "--broker-password-file", wrongPasswordFile],
      { env: { ...process.env, DATABASE_URL: pg.url, CODEPAY_LOG_LEVEL: "silent" }, encoding: "utf8", timeout: 30_000 },
    );
    expect(run.stderr).toMatch(/broker mqtt:\/\/127\.0\.0\.1:\d+ refused codepay-server-2/);
    expect(run.status).toBe(1);
    expect(instances.slice(1).every((instance) => instance.child.exitCode === null)).toBe(true);
  });

  test("the real agent, unchanged, pays end to end through mosquitto and a surviving instance", async () => {
    const live = instances.filter((instance) => instance.child.exitCode === null && instance.child.signalCode === null);
    expect(live.length).toBeGreaterThan(0);
    const own = seeded.registers[REGISTERS]!;
    const agent: RunningAgent = await startAgent(
      parseConfig({
        server: { url: broker.url },
        register: { storeId: STORE, registerId: own.registerId, password: own.password },
        currency: CURRENCY,
        language: "en",
        storeName: "Scale Store",
        journalPath: join(dataDir, "agent-journal.sqlite"),
        cashierApi: { host: "127.0.0.1", port: 0 },
        devices: {},
      }),
      { logger: silentLogger() },
    );
    try {
      const cashier = async (path: string, body?: unknown): Promise<{ status: number; body: { payment?: { paymentId: string; state: string; code?: string }; mqtt?: string } }> => {
        const response = await fetch(`${agent.cashierApiUrl}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as never };
      };
      await pollUntil("the agent's MQTT link up through mosquitto", async () => ((await cashier("/v1/health")).body.mqtt === "up" ? true : undefined));
      const created = await cashier("/v1/payments", { amountMinor: 1_200 });
      expect(created.status).toBe(201);
      const paymentId = created.body.payment!.paymentId;
      const code = await pollUntil("the payment's code", async () => (await cashier(`/v1/payments/${paymentId}`)).body.payment?.code);
      const phone = new SimPhone({ gatewayUrl: live[0]!.gateway, subscriberCredential: seeded.credentials[0]! });
      const claim = await phone.claim(code);
      expect(claim.ok).toBe(true);
      expect(claim.ok && claim.value.amount).toEqual({ minor: 1_200, currency: CURRENCY });
      const approval = await phone.approve(paymentId);
      expect(approval.ok).toBe(true);
      const settled = await pollUntil("the approved result at the agent", async () => {
        const state = (await cashier(`/v1/payments/${paymentId}`)).body.payment?.state;
        return state === "approved" ? state : undefined;
      });
      expect(settled).toBe("approved");
    } finally {
      await agent.stop();
    }
  });
});
