/**
 * `npm run bench`: completed code payments per second on one sync-server process, and what each costs.
 *
 * Starts `codepay-server serve` on a fresh data directory (synchronous=FULL semantics: group commit),
 * seeds a store, R registers and P shoppers, then drives it with the bench's registers (each logged in
 * with its own credentials, speaking the real protocol over MQTT: lean-register.ts) and phones (each
 * through the carrier gateway with its subscriber credential: lean-phone.ts). Each register runs one
 * payment after another: create -> code -> a phone claims and approves -> the pushed result arrives ->
 * acknowledged. The load generator is kept cheap (issue 14) so that CPU per payment is the server's.
 * The same run measures the physical floor (raw aedes QoS 1 round trip, one FULL commit), ends with the
 * ledger check, and with `--floor` runs the lean reference server right after for the same minutes.
 *
 *   npm run bench -- --help
 *
 * `--instances N` runs the scale-out deployment instead (scale-out-cluster.ts): N server processes on
 * one throwaway PostgreSQL and one mosquitto, phones spread over the N gateways.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createStore, enrollRegister, enrollUser, topUp } from "@codepay/sync-server";
import { parseBenchFlags, type BenchUsage, type FlagSpec } from "./bench-flags.js";
import { runFeaturesFloor, runLeanFloor, type LeanFloorRun } from "./lean-floor.js";
import { CURRENCY, drive, type Listening, type Seeded } from "./payments-drive.js";
import { printReport, type ReportContext } from "./payments-report.js";
import { measureFloor } from "./physical-floor.js";
import { positiveOption } from "./positive-option.js";
import { PostgresLockSampler } from "./postgres-lock-sampler.js";
import { measurePostgresCommit, processCpuMs, startScaleOutCluster, startScaleOutDatabase, type ScaleOutBroker } from "./scale-out-cluster.js";

const repositoryRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
const serverBin = join(repositoryRoot, "sync-server/bin/codepay-server.js");
const STORE_ID = "bench-store";
/** pg_stat_activity sampled this often during a scale-out run (lock-wait share). */
const LOCK_SAMPLE_INTERVAL_MS = 50;

const USAGE = {
  command: "npm run bench --",
  summary: [
    "Completed code payments per second on a real `codepay-server serve`, and the CPU, SQL statements and",
    "write transactions each one costs. Registers log in with their own credentials and speak the real MQTT",
    "protocol; phones claim (store and amount shown) and approve through the carrier gateway.",
  ].join("\n"),
  flags: {
    registers: { type: "string", default: "32", value: "N", description: "registers, each paying one payment after another" },
    phones: { type: "string", default: "32", value: "N", description: "phones (shoppers); register i uses phone i mod N" },
    "duration-s": { type: "string", default: "30", value: "S", description: "measured window, seconds (after the warm-up)" },
    "warmup-s": { type: "string", default: "3", value: "S", description: "warm-up before the window, seconds (not measured)" },
    "rate-per-s": { type: "string", value: "N", description: "payment starts per second over all registers; unset: as fast as the server answers" },
    stores: { type: "string", default: "1", value: "N", description: "stores the registers are spread over (each store's account is one row every approval updates)" },
    instances: { type: "string", value: "N", description: "scale-out: N server processes on PostgreSQL + mosquitto; unset: one process on SQLite + embedded aedes" },
    broker: { type: "string", default: "mosquitto", value: "mosquitto|cluster", description: "with --instances: one mosquitto, or a 3-node nats-server cluster (registers spread over the nodes, TLS certificates)" },
    "broker-accounts": { type: "string", default: "1", value: "K", description: "with --broker cluster: register accounts the registers are split over (each its own JetStream streams)" },
    "broker-nodes": { type: "string", default: "3", value: "N", description: "with --broker cluster: nats-server nodes (streams keep 3 replicas; with more nodes than that, accounts land on different nodes)" },
    pin: { type: "boolean", default: false, description: "one process: the server on CPU 0, this load generator on the others (taskset)" },
    floor: { type: "boolean", default: false, description: "then run the lean reference server (../shared/floor) with as many registers for as long (at the same --rate-per-s, if set), and print the ratios" },
    "features-floor": { type: "boolean", default: false, description: "then run the floor's design carrying Code Pay's schema and guarantees (scripts/features-floor) the same way, and print the ratios" },
    generator: { type: "string", default: "lean", value: "lean|sim", description: "load generator: the bench's lean register and phone, or the full simulators (mqtt.js, node:http, zod) to see what they cost" },
    json: { type: "boolean", default: false, description: "print one JSON line instead of a table" },
  },
  figures: [
    "Every per-payment figure is what happened inside the measured window divided by the payments whose result",
    "arrived inside it. CPU is user + system time of the processes (from /proc and process.cpuUsage).",
    "payments_per_s                     results pushed to registers per second, inside the window",
    "server_cpu_ms_per_payment          the server process's CPU per payment (broker and SQLite run inside it);",
    "                                   with --instances: servers + broker + PostgreSQL (--broker cluster: the broker is",
    "                                   every node's CPU summed: cpu_ms_per_payment_broker, broker_processes)",
    "statements_per_payment             SQL statements the server sent (BEGIN/COMMIT included: codepay_sql_statements_total;",
    "                                   with --instances: summed over the instances)",
    "write_transactions_per_payment     committed transactions that changed something, autocommits included",
    "load_generator_cpu_ms_per_payment  this process's CPU (all registers and phones) per payment: the bench's own cost",
    "lean_floor_*, *_ratio_to_lean_*    with --floor: the lean reference server and its client in the same minutes, ours / theirs",
    "features_floor_*, *_ratio_to_features_floor  with --features-floor: the floor's design with Code Pay's guarantees, ours / theirs",
    "request_to_code / approve_to_result  latencies at the register, p50 / p99, of payments that started and ended inside",
    "mqtt_rtt / commit                  physical floor: raw aedes QoS 1 round trip, one SQLite FULL commit",
    "approve_to_result_p99_target_ms    3 x (mqtt_rtt_p99 + commit_p99): issue 14's bound for approve -> result p99 at half the peak",
    "*_floor_approve_to_result_p99_ms   with --floor / --features-floor: the same latency of that floor, at the same rate",
    "load_avg_1m_before / _after        the machine's load: other work on the same cores shows here",
  ],
} satisfies BenchUsage<Record<string, FlagSpec>>;

interface BenchOptions {
  readonly registers: number;
  readonly phones: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly ratePerS: number | undefined;
  readonly json: boolean;
  /** Scale-out: N instances on PostgreSQL + mosquitto; undefined = one process on SQLite + aedes. */
  readonly instances: number | undefined;
  readonly stores: number;
  readonly pin: boolean;
  readonly floor: boolean;
  readonly withFeaturesFloor: boolean;
  readonly generator: "lean" | "sim";
  readonly broker: ScaleOutBroker;
  /** --broker cluster: register accounts and nodes. */
  readonly brokerAccounts: number;
  readonly brokerNodes: number;
}

/** The options, or undefined when --help was printed. */
function parseOptions(argv: string[]): BenchOptions | undefined {
  const values = parseBenchFlags(argv, USAGE);
  if (values === undefined) return undefined;
  const warmupS = Number(values["warmup-s"]);
  if (!Number.isFinite(warmupS) || warmupS < 0) throw new Error("--warmup-s must be a number of seconds, 0 or more");
  const generator = values.generator;
  if (generator !== "lean" && generator !== "sim") throw new Error(`--generator must be lean or sim, not ${generator}`);
  const broker = values.broker;
  if (broker !== "mosquitto" && broker !== "cluster") throw new Error(`--broker must be mosquitto or cluster, not ${broker}`);
  if (broker === "cluster" && values.instances === undefined) throw new Error("--broker cluster is a scale-out deployment: give --instances N too");
  return {
    registers: Math.floor(positiveOption("registers", values.registers)),
    phones: Math.floor(positiveOption("phones", values.phones)),
    durationS: positiveOption("duration-s", values["duration-s"]),
    warmupS,
    ratePerS: values["rate-per-s"] === undefined ? undefined : positiveOption("rate-per-s", values["rate-per-s"]),
    json: values.json,
    instances: values.instances === undefined ? undefined : Math.floor(positiveOption("instances", values.instances)),
    stores: Math.floor(positiveOption("stores", values.stores)),
    pin: values.pin,
    floor: values.floor,
    withFeaturesFloor: values["features-floor"],
    generator,
    broker,
    brokerAccounts: Math.floor(positiveOption("broker-accounts", values["broker-accounts"])),
    brokerNodes: Math.floor(positiveOption("broker-nodes", values["broker-nodes"])),
  };
}

/**
 * `--pin`: the server process alone on CPU 0 and every thread of this load generator on the other
 * CPUs, so the two stop taking each other's time slices (the machine is still shared, the cores are not).
 */
function pinnedServerCommand(options: BenchOptions, command: string[]): string[] {
  if (!options.pin) return command;
  if (options.instances !== undefined) throw new Error("--pin is for the one-process deployment, not --instances");
  if (cpus().length < 2) throw new Error("--pin needs at least 2 CPUs");
  const rest = `1-${cpus().length - 1}`;
  const self = spawnSync("taskset", ["-a", "-cp", rest, String(process.pid)], { encoding: "utf8" });
  if (self.status !== 0) throw new Error(`--pin: taskset failed (${self.error?.message ?? self.stderr.trim()})`);
  return ["taskset", "-c", "0", ...command];
}

async function seed(dataDir: string, options: BenchOptions): Promise<Seeded> {
  const storeIds = Array.from({ length: options.stores }, (_, index) => (options.stores === 1 ? STORE_ID : `${STORE_ID}-${index}`));
  for (const storeId of storeIds) await createStore({ dataDir, id: storeId, name: "Bench Store", currency: CURRENCY });
  const registers: Seeded["registers"] = [];
  for (let index = 0; index < options.registers; index += 1) {
    const storeId = storeIds[index % storeIds.length]!;
    const enrolled = await enrollRegister({ dataDir, storeId, registerId: `bench-reg-${index}`, name: `Register ${index}` });
    registers.push({ storeId, registerId: enrolled.registerId, password: enrolled.password });
  }
  const credentials: string[] = [];
  for (let index = 0; index < options.phones; index += 1) {
    const userId = `bench-user-${index}`;
    const phoneId = `+8190${String(index).padStart(8, "0")}`;
    const user = await enrollUser({ dataDir, userId, name: `Shopper ${index}`, phoneId });
    await topUp({ dataDir, userId, amountMinor: 1_000_000_000, currency: CURRENCY, requestId: `bench-topup-${index}` });
    credentials.push(user.subscriberCredential);
  }
  return { registers, credentials };
}

async function startServerProcess(dataDir: string, options: BenchOptions): Promise<{ child: ChildProcess; listening: Listening }> {
  // CODEPAY_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server process.
  const nodeArgs = (process.env.CODEPAY_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  // --no-http-rate-limits: the phones here pay far faster than a shopper; the per-phone limit would cap the measurement.
  // taskset (--pin) execs node in place, so the child's pid is the server's.
  const [command, ...args] = pinnedServerCommand(options, [
    process.execPath, ...nodeArgs, serverBin, "serve", "--data-dir", dataDir, "--mqtt-port", "0", "--http-port", "0", "--gateway-port", "0", "--operator-port", "0", "--no-http-rate-limits",
  ]);
  const child = spawn(command!, args, { env: { ...process.env, CODEPAY_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "inherit"] });
  const listening = await new Promise<Listening>((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"listening"')) resolvePromise(JSON.parse(line) as Listening);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  return { child, listening };
}

function verifyLedger(dataDir: string): { ok: boolean; detail: string } {
  const verify = spawnSync(process.execPath, [serverBin, "admin", "verify", "--json", "--data-dir", dataDir], { encoding: "utf8" });
  if (verify.status === 0) return { ok: true, detail: "admin verify passed" };
  if (!/unknown|usage/i.test(verify.stderr)) return { ok: false, detail: `admin verify: ${verify.stdout || verify.stderr}` };
  // Before `admin verify` exists: every currency must still sum to zero.
  const balances = spawnSync(process.execPath, [serverBin, "admin", "balances", "--json", "--data-dir", dataDir], { encoding: "utf8" });
  const totals = (JSON.parse(balances.stdout) as { totals: Record<string, number> }).totals;
  const ok = Object.values(totals).every((sum) => sum === 0);
  return { ok, detail: `balances sum to zero per currency: ${ok}` };
}

/**
 * `--floor` and `--features-floor`: the lean reference server, then the floor's design with Code Pay's
 * guarantees, right after the run, as many registers, as long, at the same rate if one was set. A floor
 * that is not there is skipped with a word on stderr.
 */
async function floorsAfter(options: BenchOptions): Promise<Pick<ReportContext, "leanFloor" | "featuresFloor">> {
  const run = async (wanted: boolean, label: string, start: typeof runLeanFloor): Promise<LeanFloorRun | undefined> => {
    if (!wanted) return undefined;
    const ran = await start(repositoryRoot, options.registers, options.durationS, options.ratePerS);
    if (!ran.ran) process.stderr.write(`bench: ${label} skipped: ${ran.reason}\n`);
    return ran;
  };
  const leanFloor = await run(options.floor, "lean floor", runLeanFloor);
  const featuresFloor = await run(options.withFeaturesFloor, "features floor", runFeaturesFloor);
  return { ...(leanFloor ? { leanFloor } : {}), ...(featuresFloor ? { featuresFloor } : {}) };
}

/** `--instances N`: PostgreSQL + mosquitto + N server processes (scale-out-cluster.ts). */
async function mainScaleOut(options: BenchOptions, instances: number, dataDir: string): Promise<number> {
  const loadBefore1m = loadavg()[0] ?? 0;
  const pg = await startScaleOutDatabase();
  try {
    const seeded = await seed(dataDir, options);
    const cluster = await startScaleOutCluster(dataDir, pg, instances, options.broker, options.brokerAccounts, options.brokerNodes);
    const locks = await PostgresLockSampler.start(pg.url, LOCK_SAMPLE_INTERVAL_MS);
    try {
      const listening = {
        mqtt: cluster.mqtt,
        ...(cluster.mqttUrls !== undefined ? { mqttUrls: cluster.mqttUrls } : {}),
        ...(cluster.registerTls !== undefined ? { registerTls: cluster.registerTls.bind(cluster) } : {}),
        gateway: cluster.gateways[0]!,
        gateways: cluster.gateways,
        operators: cluster.operators,
      };
      const figures = await drive(listening, seeded, options, { cpuMs: () => cluster.cpuMs(), postgresActivity: () => pg.activity(), postgresLockSamples: () => locks.read() });
      await locks.stop();
      const loadAfter1m = loadavg()[0] ?? 0;
      await cluster.stopInstances();
      const floor = await measureFloor();
      const postgresCommit = await measurePostgresCommit(dataDir, pg.url);
      const ledger = verifyLedger(dataDir);
      const floors = await floorsAfter(options);
      printReport({ ...options, brokerProcesses: cluster.brokerProcesses, ledger, loadBefore1m, loadAfter1m, postgresCommit, ...floors }, figures, floor);
      return ledger.ok && figures.completed > 0 ? 0 : 1;
    } finally {
      await locks.stop();
      await cluster.stop();
    }
  } finally {
    await pg.stop();
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) return 0;
  const dataDir = await mkdtemp(join(tmpdir(), "codepay-bench-"));
  if (options.instances !== undefined) {
    try {
      return await mainScaleOut(options, options.instances, dataDir);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  let server: ChildProcess | undefined;
  try {
    const seeded = await seed(dataDir, options);
    const started = await startServerProcess(dataDir, options);
    server = started.child;
    const pid = server.pid;
    const loadBefore1m = loadavg()[0] ?? 0;
    // The broker and SQLite run inside the server process: all of its CPU is the server's.
    const figures = await drive(started.listening, seeded, options, { cpuMs: () => ({ servers: processCpuMs(pid), broker: 0, database: 0 }) });
    const loadAfter1m = loadavg()[0] ?? 0;
    const exited = new Promise((done) => server!.once("exit", done));
    server.kill("SIGTERM");
    await exited;
    server = undefined;
    const floor = await measureFloor();
    const ledger = verifyLedger(dataDir);
    const floors = await floorsAfter(options);
    printReport({ ...options, ledger, loadBefore1m, loadAfter1m, ...floors }, figures, floor);
    return ledger.ok && figures.completed > 0 ? 0 : 1;
  } finally {
    server?.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
