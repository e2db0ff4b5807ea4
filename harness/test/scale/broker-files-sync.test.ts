/**
 * Register changes reach an external mosquitto without an operator (issue 9's gap): two
 * `codepay-server serve` instances run with `--broker-files DIR --broker-reload-pid-file F` on one
 * PostgreSQL and one mosquitto. A register paired through an instance's HTTP endpoint, or enrolled by
 * the admin command in its own process, connects and pays; a register disabled by the admin command
 * is refused at its next connection. Several processes rewriting at once leave files that match the
 * database. Nobody here reruns `admin broker files` or signals mosquitto: only the product does.
 *
 * Needs Debian's postgresql and mosquitto: a loud skip without them, a failure in CI
 * (CODEPAY_REQUIRE_SYSTEM_TOOLS=1).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStore, enrollRegister, enrollUser, pairRegister, silentLogger, topUp, writeBrokerFiles, type BrokerFilesOutput } from "@codepay/sync-server";
import { openDatabase } from "@codepay/sync-server/parts";
import { loadConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { SimRegister } from "../../src/register/sim-register.js";
import { freeLoopbackPort, payWithFailover, serverBin, startMosquitto, startServerInstance, startThrowawayPostgres, type MosquittoProcess, type ServerInstance, type ThrowawayPostgres } from "../../src/cluster/index.js";
import { postgresOrSkip } from "../helpers/postgres-or-skip.js";
import { pollUntil } from "../helpers/poll-until.js";

const hasTools = requireToolOrSkip("mosquitto", "broker files kept in step with register changes (mosquitto, PostgreSQL)") && postgresOrSkip("these tests");

const agentBin = resolve(fileURLToPath(new URL("../../../terminal-agent/bin/codepay-agent.js", import.meta.url)));
const STORE = "sync-store";
const CURRENCY = "JPY";
const AMOUNT_MINOR = 450;

type ConnectOutcome = "accepted" | "refused";

/** One MQTT login as the register, no retries: accepted, or refused by the broker (CONNACK 4/5). */
function tryConnect(url: string, registerId: string, password: string): Promise<ConnectOutcome> {
  return new Promise((resolvePromise, reject) => {
    const client = mqtt.connect(url, { clientId: registerId, username: registerId, password, reconnectPeriod: 0, connectTimeout: 10_000 });
    client.once("connect", () => {
      client.end(true);
      resolvePromise("accepted");
    });
    client.once("error", (error: Error & { code?: number }) => {
      client.end(true);
      if (error.code === 4 || error.code === 5) resolvePromise("refused");
      else reject(error);
    });
  });
}

describe.skipIf(!hasTools)("register changes reach mosquitto by themselves (--broker-files)", () => {
  let pg: ThrowawayPostgres;
  let dataDir: string;
  let brokerDir: string;
  let pidFile: string;
  let files: BrokerFilesOutput;
  let broker: MosquittoProcess;
  let instances: ServerInstance[] = [];
  let credential: string;
  let env: NodeJS.ProcessEnv;

  const brokerFlags = (): string[] => ["--broker-files", brokerDir, "--broker-reload-pid-file", pidFile];
  const admin = (args: string[]) => spawnSync(process.execPath, [serverBin, "admin", ...args, "--data-dir", dataDir], { env, encoding: "utf8", timeout: 60_000 });
  const passwdUsers = async (): Promise<string[]> => (await readFile(join(brokerDir, "passwd"), "utf8")).trim().split("\n").map((line) => line.split(":")[0]!);

  beforeAll(async () => {
    pg = await startThrowawayPostgres({ fsync: false });
    process.env["DATABASE_URL"] = pg.url;
    env = { ...process.env, DATABASE_URL: pg.url, CODEPAY_LOG_LEVEL: "silent" };
    dataDir = await mkdtemp(join(tmpdir(), "codepay-broker-sync-"));
    brokerDir = join(dataDir, "broker");
    pidFile = join(dataDir, "mosquitto.pid");
    await createStore({ dataDir, id: STORE, name: "Sync Store", currency: CURRENCY });
    const user = await enrollUser({ dataDir, userId: "sync-user", name: "Shopper", phoneId: "+817000000099" });
    await topUp({ dataDir, userId: "sync-user", amountMinor: 100_000, currency: CURRENCY, requestId: "sync-topup" });
    credential = user.subscriberCredential;
    const brokerPort = await freeLoopbackPort();
    files = await writeBrokerFiles({ dataDir, out: brokerDir, instances: 2, port: brokerPort, host: "127.0.0.1" });
    broker = await startMosquitto(files.configFile, brokerPort, dataDir, { pidFile });
    // Enrolled while no instance runs and without --broker-files: the instances' start puts it in.
    await enrollRegister({ dataDir, storeId: STORE, registerId: "before-start", name: "Enrolled before the start" });
    instances = await Promise.all(
      files.services.map((service) =>
        startServerInstance({ dataDir, databaseUrl: pg.url, brokerUrl: broker.url, brokerUsername: service.username, brokerPasswordFile: service.passwordFile, serveArgs: brokerFlags() }),
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

  test("a register enrolled while no instance ran is in the files once the instances have started", async () => {
    expect(files.registers).toBe(0);
    expect(await passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2", "before-start"]);
  });

  test("a register paired through one instance's HTTP endpoint while the cluster runs: the real agent connects and pays", async () => {
    expect(await passwdUsers()).not.toContain("paired-reg");
    const pairing = await pairRegister({ dataDir, storeId: STORE, registerId: "paired-reg", name: "Paired register" });
    const configPath = join(dataDir, "paired-agent.json");
    await writeFile(configPath, JSON.stringify({ cashierApi: { host: "127.0.0.1", port: 0 }, devices: {}, journalPath: join(dataDir, "paired-journal.sqlite") }), { mode: 0o600 });
    // The agent's own command, against the second instance (the first one will answer the phone).
    const paired = spawnSync(process.execPath, [agentBin, "pair", pairing.pairingCode, "--server", instances[1]!.shopperApi, "--config", configPath], { encoding: "utf8", timeout: 60_000 });
    expect(paired.stdout).toMatch(/paired register paired-reg/);
    expect(paired.status).toBe(0);
    // The instance rewrote the password file before it answered.
    expect(await passwdUsers()).toContain("paired-reg");
    const acl = await readFile(join(brokerDir, "acl"), "utf8");
    expect(acl).toContain(`user paired-reg\ntopic write codepay/v1/${STORE}/paired-reg/up`);

    const agent: RunningAgent = await startAgent(loadConfig(configPath).config, { logger: silentLogger() });
    try {
      const cashier = async (path: string, body?: unknown): Promise<{ status: number; body: { payment?: { paymentId: string; state: string; code?: string }; mqtt?: string } }> => {
        const response = await fetch(`${agent.cashierApiUrl}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as never };
      };
      await pollUntil("the paired agent's MQTT link up through mosquitto", async () => ((await cashier("/v1/health")).body.mqtt === "up" ? true : undefined), 30_000);
      const created = await cashier("/v1/payments", { amountMinor: AMOUNT_MINOR });
      expect(created.status).toBe(201);
      const paymentId = created.body.payment!.paymentId;
      const code = await pollUntil("the payment's code", async () => (await cashier(`/v1/payments/${paymentId}`)).body.payment?.code);
      const phone = new SimPhone({ gatewayUrl: instances[0]!.gateway, subscriberCredential: credential });
      expect((await phone.claim(code)).ok).toBe(true);
      expect((await phone.approve(paymentId)).ok).toBe(true);
      const state = await pollUntil("the approved result at the paired agent", async () => {
        const current = (await cashier(`/v1/payments/${paymentId}`)).body.payment?.state;
        return current === "approved" ? current : undefined;
      });
      expect(state).toBe("approved");
    } finally {
      await agent.stop();
    }
  });

  test("a register enrolled by the admin command in its own process connects and pays; disabled, its open connection is closed and its next one refused", async () => {
    const enrolled = admin(["register", "enroll", "--store", STORE, "--id", "enrolled-reg", "--name", "Enrolled register", "--json", ...brokerFlags()]);
    expect(enrolled.stderr).toBe("");
    expect(enrolled.status).toBe(0);
    const password = (JSON.parse(enrolled.stdout.trim().split("\n")[0]!) as { password: string }).password;
    expect(await passwdUsers()).toContain("enrolled-reg");
    // mosquitto handles the SIGHUP in its own loop: the first login may come just before it has.
    await pollUntil("enrolled-reg accepted by mosquitto", async () => ((await tryConnect(broker.url, "enrolled-reg", password)) === "accepted" ? true : undefined), 30_000);

    const register = new SimRegister({ mqttUrl: broker.url, storeId: STORE, registerId: "enrolled-reg", password, resendEveryMs: 1_000, replyTimeoutMs: 60_000 });
    await register.connect();
    try {
      const phone = { viaGateway: instances.map((instance) => new SimPhone({ gatewayUrl: instance.gateway, subscriberCredential: credential })), preferred: 1 };
      const result = await payWithFailover(register, phone, "sync-enrolled-1", { minor: AMOUNT_MINOR, currency: CURRENCY });
      expect(result.state).toBe("approved");
    } finally {
      await register.stop();
    }

    // A connection open when the register is disabled: mosquitto drops it on the reload (2.0.11 does).
    const open = mqtt.connect(broker.url, { clientId: "enrolled-reg", username: "enrolled-reg", password, reconnectPeriod: 0 });
    let closed = false;
    open.on("close", () => {
      closed = true;
    });
    open.on("error", () => undefined);
    await new Promise<void>((connected) => open.once("connect", () => connected()));

    const disabled = admin(["register", "disable", "--id", "enrolled-reg", ...brokerFlags()]);
    expect(disabled.stdout).toContain("register enrolled-reg disabled");
    expect(disabled.stdout).toContain("broker reloaded");
    expect(disabled.status).toBe(0);
    expect(await passwdUsers()).not.toContain("enrolled-reg");
    await pollUntil("the open connection of the disabled register closed by mosquitto", () => (closed ? true : undefined), 30_000);
    open.end(true);
    await pollUntil("enrolled-reg refused by mosquitto", async () => ((await tryConnect(broker.url, "enrolled-reg", password)) === "refused" ? true : undefined), 30_000);
    expect(await tryConnect(broker.url, "enrolled-reg", password)).toBe("refused");
    expect(broker.log()).not.toMatch(/Error/i);
  });

  test("several processes rewriting at once leave whole files that list exactly the enabled registers", async () => {
    const ids = ["burst-0", "burst-1", "burst-2", "burst-3", "burst-4", "burst-5"];
    for (const id of ids) await enrollRegister({ dataDir, storeId: STORE, registerId: id, name: id });
    // Six admin processes at once, each changing one register and rewriting: three disable, three stay enabled.
    const runs = ids.map(
      (id, index) =>
        new Promise<number | null>((done) => {
          const child = spawn(process.execPath, [serverBin, "admin", "register", index % 2 === 0 ? "disable" : "enable", "--id", id, "--data-dir", dataDir, ...brokerFlags()], { env, stdio: "ignore" });
          child.once("exit", (code) => done(code));
        }),
    );
    expect(await Promise.all(runs)).toEqual(ids.map(() => 0));

    const db = await openDatabase(dataDir, pg.url);
    let expected: string[];
    try {
      const rows = await db.selectFrom("registers").select(["id"]).where("disabled", "=", 0).where("broker_password_hash", "is not", null).orderBy("id").execute();
      expected = rows.map((row) => row.id);
    } finally {
      await db.destroy();
    }
    const passwd = await readFile(join(brokerDir, "passwd"), "utf8");
    const lines = passwd.trim().split("\n");
    expect(lines.every((line) => /^[A-Za-z0-9._-]+:\$7\$101\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(line))).toBe(true);
    expect(lines.map((line) => line.split(":")[0]).sort()).toEqual(["codepay-server-1", "codepay-server-2", ...expected].sort());
    expect(expected).toEqual(expect.arrayContaining(["burst-1", "burst-3", "burst-5"]));
    for (const id of ["burst-0", "burst-2", "burst-4"]) expect(expected).not.toContain(id);
    const acl = await readFile(join(brokerDir, "acl"), "utf8");
    expect([...acl.matchAll(/^user (\S+)$/gm)].map((match) => match[1]).sort()).toEqual(["codepay-server-1", "codepay-server-2", ...expected].sort());
    expect((await readdir(brokerDir)).filter((name) => name.includes(".tmp-"))).toEqual([]);
    // mosquitto took every reload and still serves the instances.
    expect(instances.every((instance) => instance.child.exitCode === null && instance.child.signalCode === null)).toBe(true);
    expect(broker.child.exitCode).toBe(null);
  });
});
