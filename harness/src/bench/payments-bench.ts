/**
 * `npm run bench`: completed code payments per second on one sync-server process.
 *
 * Starts `codepay-server serve` on a fresh data directory (synchronous=FULL), seeds a store, R registers
 * and P shoppers, then drives it with simulated registers (real mqtt.js clients speaking the protocol,
 * no serial) and simulated phones (real HTTP through the carrier gateway). Each register runs one
 * payment after another: create -> code -> a phone claims and approves -> the pushed result arrives ->
 * acknowledged. The same run measures the physical floor (raw aedes QoS 1 round trip, one FULL commit)
 * and ends with the ledger check.
 *
 *   npm run bench -- [--registers 32] [--phones 32] [--duration-s 30] [--warmup-s 3] [--rate-per-s N] [--stores 1] [--pin] [--json]
 *
 * `--stores S` spreads the registers over S stores (each store's account is one row every approval
 * of that store updates: with one store, approvals queue for it).
 *
 * `--instances N` runs the scale-out deployment instead (scale-out-cluster.ts): N server processes on
 * one throwaway PostgreSQL and one mosquitto, phones spread over the N gateways.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createStore, enrollRegister, enrollUser, topUp } from "@codepay/sync-server";
import { SimPhone } from "@codepay/hardware-sim";
import { SimRegister } from "../register/sim-register.js";
import { LatencySamples, round } from "./latency-stats.js";
import { measureFloor, type FloorFigures } from "./physical-floor.js";
import { measurePostgresCommit, processCpuMs, startScaleOutCluster, startScaleOutDatabase, type CpuMs } from "./scale-out-cluster.js";
import { loadavg, cpus } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { positiveOption } from "./positive-option.js";

const repositoryRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
const serverBin = join(repositoryRoot, "sync-server/bin/codepay-server.js");
const STORE_ID = "bench-store";
const CURRENCY = "JPY";
const AMOUNT_MINOR = 100;

interface BenchOptions {
  readonly registers: number;
  readonly phones: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly ratePerS: number | undefined;
  readonly json: boolean;
  /** Scale-out: N instances on PostgreSQL + mosquitto; undefined = one process on SQLite + aedes. */
  readonly instances: number | undefined;
  /** Stores the registers are spread over (round robin). */
  readonly stores: number;
  /** One process on SQLite: the server on CPU 0, this load generator on the others (taskset). */
  readonly pin: boolean;
}

interface Seeded {
  readonly registers: { storeId: string; registerId: string; password: string }[];
  readonly credentials: string[];
}

interface Listening {
  mqtt: string;
  gateway: string;
  /** The shopper API (serves GET /metrics). */
  shopperApi?: string;
  /** Scale-out: every instance's gateway; phone i uses gateways[i % N]. */
  gateways?: readonly string[];
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      registers: { type: "string", default: "32" },
      phones: { type: "string", default: "32" },
      "duration-s": { type: "string", default: "30" },
      "warmup-s": { type: "string", default: "3" },
      "rate-per-s": { type: "string" },
      json: { type: "boolean", default: false },
      instances: { type: "string" },
      stores: { type: "string", default: "1" },
      pin: { type: "boolean", default: false },
    },
    strict: true,
  });
  return {
    registers: Math.floor(positiveOption("registers", values.registers)),
    phones: Math.floor(positiveOption("phones", values.phones)),
    durationS: positiveOption("duration-s", values["duration-s"]),
    warmupS: Math.max(0, Number(values["warmup-s"])),
    ratePerS: values["rate-per-s"] === undefined ? undefined : positiveOption("rate-per-s", values["rate-per-s"]),
    json: values.json,
    instances: values.instances === undefined ? undefined : Math.floor(positiveOption("instances", values.instances)),
    stores: Math.floor(positiveOption("stores", values.stores)),
    pin: values.pin,
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
    process.execPath, ...nodeArgs, serverBin, "serve", "--data-dir", dataDir, "--mqtt-port", "0", "--http-port", "0", "--gateway-port", "0", "--no-http-rate-limits",
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

/** Spaces payment starts evenly across all registers when a target rate is set. */
class StartPacer {
  private nextAtMs = performance.now();
  constructor(private readonly ratePerS: number | undefined) {}
  async wait(): Promise<void> {
    if (this.ratePerS === undefined) return;
    const at = this.nextAtMs;
    this.nextAtMs = Math.max(this.nextAtMs, performance.now()) + 1000 / this.ratePerS;
    const delayMs = at - performance.now();
    if (delayMs > 0) await new Promise((done) => setTimeout(done, delayMs));
  }
}

interface RunFigures {
  completed: number;
  /** Every approved payment of the run, warm-up and tail included (CPU cost per payment divides by it). */
  completedAll: number;
  failed: number;
  firstError: string | undefined;
  requestToCode: LatencySamples;
  approveToResult: LatencySamples;
  /** The phone's approve request alone: sent -> HTTP reply (the server has committed and pushed by then). */
  approveReply: LatencySamples;
  /** Event-loop delay over the measured window, ms: this load generator's own, and the server's (from its /metrics). */
  generatorLoopDelay: LoopDelay;
  serverLoopDelay: LoopDelay | undefined;
  /** The server's WAL fdatasyncs over the measured window, ms (bucket upper bounds); undefined without any. */
  walFsyncP50Ms: number | undefined;
  walFsyncP99Ms: number | undefined;
  /** This process's CPU (its registers' MQTT clients and its phones' HTTP) per approved payment, ms. */
  generatorCpuMsPerPayment: number;
  measuredS: number;
}

/**
 * Both monitors (ours and prom-client's in the server) tick every 10 ms and record the whole time
 * between ticks; the figures are what is left after the tick, i.e. how long the loop was busy past it.
 */
const LOOP_TICK_MS = 10;
const pastTick = (ms: number): number => Math.max(0, ms - LOOP_TICK_MS);

interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** One scrape of the server's metrics, for the figures measured over the window between two of them. */
interface ServerScrape {
  readonly loopDelay: LoopDelay | undefined;
  /** codepay_sqlite_wal_fsync_seconds: cumulative count per bucket upper bound (ms), +Inf last; empty on PostgreSQL. */
  readonly fsyncBuckets: [number, number][];
}

/** Approximate quantile (the upper bound of the bucket it falls in) of what a histogram counted between two scrapes. */
function bucketQuantileMs(before: [number, number][], after: [number, number][], quantile: number): number | undefined {
  const deltas = after.map(([bound, count], index) => [bound, count - (before[index]?.[1] ?? 0)] as [number, number]);
  const total = deltas[deltas.length - 1]?.[1] ?? 0;
  if (total === 0) return undefined;
  return deltas.find(([, count]) => count >= quantile * total)?.[0];
}

/** prom-client's event-loop figures are reset by each scrape, so a scrape at the window's start begins a window. */
async function scrapeServer(shopperApi: string): Promise<ServerScrape> {
  const text = await (await fetch(`${shopperApi}/metrics`)).text();
  const fsyncBuckets = text
    .split("\n")
    .filter((l) => l.startsWith("codepay_sqlite_wal_fsync_seconds_bucket{"))
    .map((l) => {
      const bound = /le="([^"]+)"/.exec(l)?.[1] ?? "+Inf";
      return [bound === "+Inf" ? Number.POSITIVE_INFINITY : Number(bound) * 1000, Number(l.split(" ")[1])] as [number, number];
    });
  return { loopDelay: loopDelayOf(text), fsyncBuckets };
}

function loopDelayOf(text: string): LoopDelay | undefined {
  const seconds = (name: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(`codepay_process_nodejs_eventloop_lag_${name}_seconds `));
    return line === undefined ? undefined : pastTick(Number(line.split(" ")[1]) * 1000);
  };
  const [p50Ms, p99Ms, maxMs] = [seconds("p50"), seconds("p99"), seconds("max")];
  return p50Ms === undefined || p99Ms === undefined || maxMs === undefined ? undefined : { p50Ms, p99Ms, maxMs };
}

async function drive(listening: Listening, seeded: Seeded, options: BenchOptions): Promise<RunFigures> {
  const registers = seeded.registers.map(
    (r) => new SimRegister({ mqttUrl: listening.mqtt, storeId: r.storeId, registerId: r.registerId, password: r.password }),
  );
  await Promise.all(registers.map((register) => register.connect()));
  const phones = seeded.credentials.map(
    (credential, index) => new SimPhone({ gatewayUrl: listening.gateways?.[index % listening.gateways.length] ?? listening.gateway, subscriberCredential: credential }),
  );
  const figures: RunFigures = {
    completed: 0, completedAll: 0, failed: 0, firstError: undefined,
    requestToCode: new LatencySamples(), approveToResult: new LatencySamples(), approveReply: new LatencySamples(),
    generatorLoopDelay: { p50Ms: 0, p99Ms: 0, maxMs: 0 }, serverLoopDelay: undefined, walFsyncP50Ms: undefined, walFsyncP99Ms: undefined,
    generatorCpuMsPerPayment: 0, measuredS: options.durationS,
  };
  const startedMs = performance.now();
  const measureFromMs = startedMs + options.warmupS * 1000;
  const endMs = measureFromMs + options.durationS * 1000;
  const pacer = new StartPacer(options.ratePerS);
  let sequence = 0;
  // Where the tail comes from: both processes' event-loop delay over the measured window only.
  const generatorLoop = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
  const window = (async () => {
    await new Promise((done) => setTimeout(done, Math.max(0, measureFromMs - performance.now())));
    const atStart = listening.shopperApi === undefined ? undefined : await scrapeServer(listening.shopperApi);
    generatorLoop.enable();
    await new Promise((done) => setTimeout(done, Math.max(0, endMs - performance.now())));
    generatorLoop.disable();
    const ms = (nanoseconds: number): number => pastTick(nanoseconds / 1e6);
    figures.generatorLoopDelay = { p50Ms: ms(generatorLoop.percentile(50)), p99Ms: ms(generatorLoop.percentile(99)), maxMs: ms(generatorLoop.max) };
    if (listening.shopperApi !== undefined && atStart !== undefined) {
      const atEnd = await scrapeServer(listening.shopperApi);
      figures.serverLoopDelay = atEnd.loopDelay;
      figures.walFsyncP50Ms = bucketQuantileMs(atStart.fsyncBuckets, atEnd.fsyncBuckets, 0.5);
      figures.walFsyncP99Ms = bucketQuantileMs(atStart.fsyncBuckets, atEnd.fsyncBuckets, 0.99);
    }
  })();

  const worker = async (register: SimRegister, index: number): Promise<void> => {
    const phone = phones[index % phones.length]!;
    while (performance.now() < endMs) {
      await pacer.wait();
      const paymentId = `bench-${index}-${(sequence += 1)}`;
      const t0 = performance.now();
      try {
        const issued = await register.createPayment(paymentId, { minor: AMOUNT_MINOR, currency: CURRENCY });
        const t1 = performance.now();
        const result = register.waitForResult(paymentId);
        const claim = await phone.claim(issued.code);
        if (!claim.ok) throw new Error(`claim: ${claim.code} ${claim.message}`);
        const approveAt = performance.now();
        const approval = await phone.approve(paymentId);
        const repliedAt = performance.now();
        if (!approval.ok) throw new Error(`approve: ${approval.code} ${approval.message}`);
        const state = await result;
        const t2 = performance.now();
        if (state.state !== "approved") throw new Error(`result ${state.state}`);
        figures.completedAll += 1;
        if (t0 >= measureFromMs && t2 <= endMs) {
          figures.completed += 1;
          figures.requestToCode.add(t1 - t0);
          figures.approveToResult.add(t2 - approveAt);
          figures.approveReply.add(repliedAt - approveAt);
        }
      } catch (error) {
        figures.failed += 1;
        figures.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const cpuBefore = process.cpuUsage();
  await Promise.all(registers.map((register, index) => worker(register, index)));
  const cpu = process.cpuUsage(cpuBefore);
  figures.generatorCpuMsPerPayment = (cpu.user + cpu.system) / 1000 / Math.max(1, figures.completedAll);
  await window;
  await Promise.all(registers.map((register) => register.stop()));
  return figures;
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

/** The machine's 1-minute load average before the run and at its end (other work on the machine shows here). */
interface MachineLoad {
  readonly before1m: number;
  readonly after1m: number;
  /** Scale-out: one PostgreSQL commit, p50 / p99 ms. */
  readonly postgresCommit?: { p50Ms: number; p99Ms: number };
  /** Scale-out: CPU ms per approved payment (whole run), summed over the server processes, mosquitto, PostgreSQL. */
  readonly cpuMsPerPayment?: CpuMs;
  /** Scale-out: PostgreSQL transactions (every one, the sweeps' reads included) and WAL bytes per approved payment. */
  readonly database?: { commitsPerPayment: number; walBytesPerPayment: number };
  /** One process on SQLite: WAL fdatasyncs per payment (group commit, from GET /metrics). */
  readonly sqliteFsyncsPerPayment?: number;
}

/** The server's WAL fsync count from its metrics; undefined when it does not report one (group commit off). */
async function walFsyncs(shopperApi: string | undefined): Promise<number | undefined> {
  if (shopperApi === undefined) return undefined;
  const text = await (await fetch(`${shopperApi}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("codepay_sqlite_wal_fsyncs "));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

function report(options: BenchOptions, figures: RunFigures, floor: FloorFigures, ledger: { ok: boolean; detail: string }, load?: MachineLoad): void {
  const result = {
    payments_per_s: round(figures.completed / figures.measuredS, 1),
    request_to_code_p50_ms: round(figures.requestToCode.percentile(50)),
    request_to_code_p99_ms: round(figures.requestToCode.percentile(99)),
    approve_to_result_p50_ms: round(figures.approveToResult.percentile(50)),
    approve_to_result_p99_ms: round(figures.approveToResult.percentile(99)),
    approve_reply_p50_ms: round(figures.approveReply.percentile(50)),
    approve_reply_p99_ms: round(figures.approveReply.percentile(99)),
    server_loop_delay_p50_ms: figures.serverLoopDelay === undefined ? null : round(figures.serverLoopDelay.p50Ms),
    server_loop_delay_p99_ms: figures.serverLoopDelay === undefined ? null : round(figures.serverLoopDelay.p99Ms),
    server_loop_delay_max_ms: figures.serverLoopDelay === undefined ? null : round(figures.serverLoopDelay.maxMs),
    wal_fsync_p50_ms_at_most: figures.walFsyncP50Ms ?? null,
    wal_fsync_p99_ms_at_most: figures.walFsyncP99Ms ?? null,
    generator_loop_delay_p50_ms: round(figures.generatorLoopDelay.p50Ms),
    generator_loop_delay_p99_ms: round(figures.generatorLoopDelay.p99Ms),
    generator_loop_delay_max_ms: round(figures.generatorLoopDelay.maxMs),
    mqtt_rtt_p50_ms: round(floor.mqttRttP50Ms, 3),
    mqtt_rtt_p99_ms: round(floor.mqttRttP99Ms, 3),
    commit_ms: round(floor.commitMs, 3),
    commit_p99_ms: round(floor.commitP99Ms, 3),
    registers: options.registers,
    stores: options.stores,
    phones: options.phones,
    duration_s: options.durationS,
    rate_target_per_s: options.ratePerS ?? null,
    completed: figures.completed,
    failed: figures.failed,
    first_error: figures.firstError ?? null,
    ledger_ok: ledger.ok,
    deployment: options.instances === undefined
      ? `1 process, SQLite + embedded aedes${options.pin ? "; server pinned to CPU 0, load generator to the others" : ""}`
      : `${options.instances} instances, PostgreSQL + mosquitto`,
    pinned: options.pin,
    instances: options.instances ?? 1,
    cpus: cpus().length,
    load_avg_1m_before: load === undefined ? null : round(load.before1m, 2),
    load_avg_1m_after: load === undefined ? null : round(load.after1m, 2),
    postgres_commit_p50_ms: load?.postgresCommit === undefined ? null : round(load.postgresCommit.p50Ms, 3),
    postgres_commit_p99_ms: load?.postgresCommit === undefined ? null : round(load.postgresCommit.p99Ms, 3),
    cpu_ms_per_payment_servers: load?.cpuMsPerPayment === undefined ? null : round(load.cpuMsPerPayment.servers),
    cpu_ms_per_payment_broker: load?.cpuMsPerPayment === undefined ? null : round(load.cpuMsPerPayment.broker),
    cpu_ms_per_payment_database: load?.cpuMsPerPayment === undefined ? null : round(load.cpuMsPerPayment.database),
    cpu_ms_per_payment_load_generator: round(figures.generatorCpuMsPerPayment),
    postgres_transactions_per_payment: load?.database === undefined ? null : round(load.database.commitsPerPayment, 1),
    postgres_wal_bytes_per_payment: load?.database === undefined ? null : Math.round(load.database.walBytesPerPayment),
    sqlite_fsyncs_per_payment: load?.sqliteFsyncsPerPayment === undefined ? null : round(load.sqliteFsyncsPerPayment, 2),
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ["completed payments / s", String(result.payments_per_s)],
    ["request -> code at register p50 / p99", `${result.request_to_code_p50_ms} / ${result.request_to_code_p99_ms} ms`],
    ["approve -> result at register p50 / p99", `${result.approve_to_result_p50_ms} / ${result.approve_to_result_p99_ms} ms`],
    ["  of which approve -> phone's HTTP reply p50 / p99", `${result.approve_reply_p50_ms} / ${result.approve_reply_p99_ms} ms`],
    ["event-loop delay past its 10 ms tick, server p50 / p99 / max", result.server_loop_delay_p50_ms === null ? "-" : `${result.server_loop_delay_p50_ms} / ${result.server_loop_delay_p99_ms} / ${result.server_loop_delay_max_ms} ms`],
    ...(result.wal_fsync_p50_ms_at_most === null
      ? []
      : [["server's WAL fdatasync p50 / p99 (at most: histogram bucket)", `${result.wal_fsync_p50_ms_at_most} / ${result.wal_fsync_p99_ms_at_most} ms`] as [string, string]]),
    ["event-loop delay past its 10 ms tick, load generator p50 / p99 / max", `${result.generator_loop_delay_p50_ms} / ${result.generator_loop_delay_p99_ms} / ${result.generator_loop_delay_max_ms} ms`],
    ["floor: raw aedes QoS 1 round trip p50 / p99", `${result.mqtt_rtt_p50_ms} / ${result.mqtt_rtt_p99_ms} ms`],
    ["floor: one SQLite FULL commit p50 / p99", `${result.commit_ms} / ${result.commit_p99_ms} ms`],
    ...(result.postgres_commit_p50_ms === null ? [] : [["floor: one PostgreSQL commit (fsync on) p50 / p99", `${result.postgres_commit_p50_ms} / ${result.postgres_commit_p99_ms} ms`] as [string, string]]),
    ...(result.cpu_ms_per_payment_servers === null
      ? []
      : options.instances === undefined
        ? [["CPU ms per payment: server process (broker, SQLite inside)", String(result.cpu_ms_per_payment_servers)] as [string, string]]
        : [["CPU ms per payment: servers / mosquitto / PostgreSQL", `${result.cpu_ms_per_payment_servers} / ${result.cpu_ms_per_payment_broker} / ${result.cpu_ms_per_payment_database}`] as [string, string]]),
    ["CPU ms per payment: this load generator (registers' MQTT, phones' HTTP)", String(result.cpu_ms_per_payment_load_generator)],
    ...(result.postgres_transactions_per_payment === null
      ? []
      : [["PostgreSQL per payment: transactions (all) / WAL bytes", `${result.postgres_transactions_per_payment} / ${result.postgres_wal_bytes_per_payment}`] as [string, string]]),
    ...(result.sqlite_fsyncs_per_payment === null ? [] : [["SQLite WAL fsyncs per payment (group commit)", String(result.sqlite_fsyncs_per_payment)] as [string, string]]),
    ["registers / stores / phones / measured", `${options.registers} / ${options.stores} / ${options.phones} / ${options.durationS} s`],
    ["completed / failed", `${figures.completed} / ${figures.failed}${figures.firstError ? ` (first: ${figures.firstError})` : ""}`],
    ["ledger", ledger.detail],
    ["deployment", result.deployment],
    ["machine: cpus / load avg 1 min before / after", `${result.cpus} / ${result.load_avg_1m_before ?? "-"} / ${result.load_avg_1m_after ?? "-"}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
}

/** `--instances N`: PostgreSQL + mosquitto + N server processes (scale-out-cluster.ts). */
async function mainScaleOut(options: BenchOptions, instances: number, dataDir: string): Promise<number> {
  const before1m = loadavg()[0] ?? 0;
  const pg = await startScaleOutDatabase();
  try {
    const seeded = await seed(dataDir, options);
    const cluster = await startScaleOutCluster(dataDir, pg, instances);
    try {
      const cpuBefore = cluster.cpuMs();
      const databaseBefore = await pg.activity();
      const figures = await drive({ mqtt: cluster.mqtt, gateway: cluster.gateways[0]!, gateways: cluster.gateways }, seeded, options);
      const cpuAfter = cluster.cpuMs();
      const databaseAfter = await pg.activity();
      const after1m = loadavg()[0] ?? 0;
      const perPayment = (key: keyof CpuMs): number => (cpuAfter[key] - cpuBefore[key]) / Math.max(1, figures.completedAll);
      const cpuMsPerPayment: CpuMs = { servers: perPayment("servers"), broker: perPayment("broker"), database: perPayment("database") };
      const payments = Math.max(1, figures.completedAll);
      const database = {
        commitsPerPayment: (databaseAfter.commits - databaseBefore.commits) / payments,
        walBytesPerPayment: (databaseAfter.walBytes - databaseBefore.walBytes) / payments,
      };
      await cluster.stopInstances();
      const floor = await measureFloor();
      const postgresCommit = await measurePostgresCommit(dataDir, pg.url);
      const ledger = verifyLedger(dataDir);
      report(options, figures, floor, ledger, { before1m, after1m, postgresCommit, cpuMsPerPayment, database });
      return ledger.ok && figures.completed > 0 ? 0 : 1;
    } finally {
      await cluster.stop();
    }
  } finally {
    await pg.stop();
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
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
    // CPU the server process used per payment: less at the mercy of other work on the machine than
    // payments/s, so A/B runs on a shared machine compare it too. The broker and SQLite run inside it.
    const before1m = loadavg()[0] ?? 0;
    const cpuBefore = processCpuMs(server.pid);
    const fsyncsBefore = await walFsyncs(started.listening.shopperApi);
    const figures = await drive(started.listening, seeded, options);
    const cpuMsServer = (processCpuMs(server.pid) - cpuBefore) / Math.max(1, figures.completedAll);
    const fsyncsAfter = await walFsyncs(started.listening.shopperApi);
    const sqliteFsyncsPerPayment = fsyncsBefore === undefined || fsyncsAfter === undefined ? undefined : (fsyncsAfter - fsyncsBefore) / Math.max(1, figures.completedAll);
    const after1m = loadavg()[0] ?? 0;
    const exited = new Promise((done) => server!.once("exit", done));
    server.kill("SIGTERM");
    await exited;
    server = undefined;
    const floor = await measureFloor();
    const ledger = verifyLedger(dataDir);
    report(options, figures, floor, ledger, {
      before1m,
      after1m,
      cpuMsPerPayment: { servers: cpuMsServer, broker: 0, database: 0 },
      ...(sqliteFsyncsPerPayment !== undefined ? { sqliteFsyncsPerPayment } : {}),
    });
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
