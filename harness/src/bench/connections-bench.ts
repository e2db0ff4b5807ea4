/**
 * `npm run bench:connections`: how many registers one sync-server process holds, with its memory,
 * and (`--restart`) how fast they all come back after the server is killed.
 *
 * Seeds a fresh data directory with N registers the way production now stores them (keyed hash with
 * the data directory's register-key; `--old-scrypt-rows` seeds the idle ones as an older release
 * did, scrypt N=16384, to measure what the migration at first login costs), starts `codepay-server
 * serve` and connects them at a set rate from several worker processes (idle-registers-worker.ts:
 * raw sockets, the agent's reconnect schedule). `--tls` connects them over MQTT/TLS with a client
 * certificate each (CN = register id, the server started with --require-client-cert).
 *
 * `--restart`: with every register online and a few registers paying (storm-payers.ts: real payments,
 * create over MQTT, claim and approve through the gateway, the result pushed), SIGKILL the server,
 * start it again on the same ports, and time until every register is back: restart_to_all_online_s
 * (from the kill), logins_per_s, the server's CPU per login, its memory, how many logins its
 * admission queued or refused (CONNACK 3), and the payers' approve -> result p99 during the storm.
 *
 *   npm run bench:connections -- [--registers 20000] [--workers 4] [--rate-per-s 1000] [--hold-s 10]
 *        [--restart [--payers 4] [--payments-per-s 20] [--storm-timeout-s 180]] [--tls] [--old-scrypt-rows] [--json]
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import { createStore, createTlsCa, enrollRegister, enrollUser, issueServerCert, scrapeMetricsText, topUp } from "@codepay/sync-server";
import { hashPassword, hashRegisterPassword, loadOrCreateRegisterKey } from "@codepay/sync-server/parts";
import { positiveOption } from "./positive-option.js";
import { round } from "./latency-stats.js";
import type { WorkerCounts, WorkerJob } from "./idle-registers-worker.js";
import { StormPayers, approveToResult, type PayerCredentials } from "./storm-payers.js";

const repositoryRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
const serverBin = join(repositoryRoot, "sync-server/bin/codepay-server.js");
/** The load workers run their own small module, not this one (which loads the server's package). */
const workerFile = fileURLToPath(new URL("./idle-registers-worker.js", import.meta.url));
const STORE_ID = "conn-store";
const CURRENCY = "JPY";

const USAGE = `usage: npm run bench:connections -- [options]
  --registers N         registers in all (default 20000; the fd limit here is 20,000: 19,900 leaves room)
  --workers N           load worker processes holding the idle registers (default 4)
  --rate-per-s R        initial connects per second (default 1000)
  --hold-s S            hold everything this long before the figures / the restart (default 10)
  --restart             SIGKILL the server, start it again, time until every register is back
  --payers P            registers paying throughout (real payments), part of N (default 4 with --restart)
  --payments-per-s R    payments started per second over all payers (default 20)
  --storm-timeout-s S   give up waiting for all registers after the restart (default 180)
  --tls                 idle registers on MQTT/TLS with a client certificate each (--require-client-cert)
  --old-scrypt-rows     seed the idle registers as an older release did (scrypt N=16384): the first
                        logins pay scrypt and rewrite each row in the keyed form
  --json                one JSON line instead of the table
CODEPAY_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server (the restarted one).`;

interface Options {
  readonly registers: number;
  readonly workers: number;
  readonly ratePerS: number;
  readonly holdS: number;
  readonly restart: boolean;
  readonly payers: number;
  readonly paymentsPerS: number;
  readonly stormTimeoutS: number;
  readonly tls: boolean;
  readonly oldScryptRows: boolean;
  readonly json: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      registers: { type: "string", default: "20000" },
      workers: { type: "string", default: "4" },
      "rate-per-s": { type: "string", default: "1000" },
      "hold-s": { type: "string", default: "10" },
      restart: { type: "boolean", default: false },
      payers: { type: "string" },
      "payments-per-s": { type: "string", default: "20" },
      "storm-timeout-s": { type: "string", default: "180" },
      tls: { type: "boolean", default: false },
      "old-scrypt-rows": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const restart = values.restart;
  const payers = values.payers === undefined ? (restart ? 4 : 0) : Math.floor(Number(values.payers));
  if (!Number.isInteger(payers) || payers < 0) throw new Error("--payers must be a whole number");
  const registers = Math.floor(positiveOption("registers", values.registers));
  if (payers >= registers) throw new Error("--payers must be fewer than --registers");
  return {
    registers,
    workers: Math.floor(positiveOption("workers", values.workers)),
    ratePerS: positiveOption("rate-per-s", values["rate-per-s"]),
    holdS: Math.max(0, Number(values["hold-s"])),
    restart,
    payers,
    paymentsPerS: positiveOption("payments-per-s", values["payments-per-s"]),
    stormTimeoutS: positiveOption("storm-timeout-s", values["storm-timeout-s"]),
    tls: values.tls,
    oldScryptRows: values["old-scrypt-rows"],
    json: values.json,
  };
}

interface Seeded {
  readonly idle: { registerId: string; password: string }[];
  readonly payers: PayerCredentials[];
}

/** Payers through the admin functions; idle registers straight into the migrated database in one transaction. */
async function seed(dataDir: string, options: Options): Promise<Seeded> {
  await createStore({ dataDir, id: STORE_ID, name: "Connections Store", currency: CURRENCY });
  const payers: PayerCredentials[] = [];
  for (let index = 0; index < options.payers; index += 1) {
    const register = await enrollRegister({ dataDir, storeId: STORE_ID, registerId: `conn-payer-${index}`, name: `Payer ${index}` });
    const user = await enrollUser({ dataDir, userId: `conn-user-${index}`, name: `Shopper ${index}`, phoneId: `+8170${String(index).padStart(8, "0")}` });
    await topUp({ dataDir, userId: user.userId, amountMinor: 1_000_000_000, currency: CURRENCY, requestId: `conn-topup-${index}` });
    payers.push({ storeId: STORE_ID, registerId: register.registerId, password: register.password, subscriberCredential: user.subscriberCredential });
  }
  const key = loadOrCreateRegisterKey(dataDir);
  const idle = Array.from({ length: options.registers - options.payers }, (_, index) => ({ registerId: `conn-reg-${index}`, password: randomBytes(24).toString("base64url") }));
  // Old rows: scrypt at the production cost, hashed on libuv's pool 4 at a time.
  const hashes = options.oldScryptRows ? await Promise.all(idle.map((register) => hashPassword(register.password))) : idle.map((register) => hashRegisterPassword(key, register.password));
  const sqlite = new BetterSqlite3(join(dataDir, "codepay.sqlite"));
  try {
    const insert = sqlite.prepare("insert into registers (id, store_id, name, password_hash, created_at) values (?, ?, ?, ?, ?)");
    const now = Date.now();
    sqlite.transaction(() => idle.forEach((register, index) => insert.run(register.registerId, STORE_ID, register.registerId, hashes[index], now)))();
  } finally {
    sqlite.close();
  }
  return { idle, payers };
}

interface Ports {
  mqtt: number;
  http: number;
  gateway: number;
  /** The operator listener (GET /metrics). */
  operator: number;
  mqttTls?: number;
}

interface Listening {
  readonly child: ChildProcess;
  readonly ports: Ports;
  readonly startS: number;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

async function startServer(dataDir: string, ports: Ports, tlsDir: string | undefined): Promise<Listening> {
  const nodeArgs = (process.env.CODEPAY_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const tls =
    tlsDir === undefined
      ? []
      : ["--mqtt-tls-port", String(ports.mqttTls ?? 0), "--tls-cert", join(tlsDir, "server/server.crt"), "--tls-key", join(tlsDir, "server/server.key"), "--tls-ca", join(tlsDir, "ca/ca.crt"), "--require-client-cert"];
  const startedMs = performance.now();
  // --no-http-rate-limits: the payers' phones pay faster than a shopper would.
  const child = spawn(
    process.execPath,
    [...nodeArgs, serverBin, "serve", "--data-dir", dataDir, "--mqtt-port", String(ports.mqtt), "--http-port", String(ports.http), "--gateway-port", String(ports.gateway), "--operator-port", String(ports.operator), "--no-http-rate-limits", ...tls],
    { env: { ...process.env, CODEPAY_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const urls = await new Promise<{ mqtt: string; mqttTls?: string; shopperApi: string; gateway: string; operator: string }>((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"listening"')) resolvePromise(JSON.parse(line) as { mqtt: string; shopperApi: string; gateway: string; operator: string });
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  return {
    child,
    startS: (performance.now() - startedMs) / 1000,
    ports: { mqtt: portOf(urls.mqtt), http: portOf(urls.shopperApi), gateway: portOf(urls.gateway), operator: portOf(urls.operator), ...(urls.mqttTls !== undefined ? { mqttTls: portOf(urls.mqttTls) } : {}) },
  };
}

function procStatusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match === null ? Number.NaN : Number(match[1]);
}

/** User + system CPU of a process so far, ms (from /proc: clock ticks at 100 Hz). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const mb = (kb: number): number => round(kb / 1024, 1);

// ---- load workers ----

interface WorkerHandle {
  readonly child: ChildProcess;
  counts: WorkerCounts;
  /** Its first report: the worker has loaded (and made its certificates) and starts connecting. */
  readonly ready: Promise<void>;
}

function startWorker(job: WorkerJob): WorkerHandle {
  const child = fork(workerFile, ["--worker"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let ready = (): void => undefined;
  const handle: WorkerHandle = { child, ready: new Promise<void>((resolve) => (ready = resolve)), counts: { online: 0, onlineSinceMark: 0, acceptedSinceMark: 0, refusedBusy: 0, refusedOther: 0, connectFailures: 0, connectFailuresByCode: {}, dropped: 0, allConnectedOnce: false, acceptedPerSecond: {} } };
  child.on("message", (message) => {
    handle.counts = message as WorkerCounts;
    ready();
  });
  child.send(job);
  return handle;
}

type NumericCount = "online" | "onlineSinceMark" | "acceptedSinceMark" | "refusedBusy" | "refusedOther" | "connectFailures" | "dropped";

function total(handles: readonly WorkerHandle[], key: NumericCount): number {
  return handles.reduce((sum, handle) => sum + handle.counts[key], 0);
}

async function until(condition: () => boolean, timeoutS: number, everyS: number, progress: () => void): Promise<boolean> {
  const deadline = performance.now() + timeoutS * 1000;
  let lastProgress = performance.now();
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 50));
    if (performance.now() - lastProgress > everyS * 1000) {
      lastProgress = performance.now();
      progress();
    }
  }
  return true;
}

/** One scrape of the server's admission counters (broker/broker-hooks.ts via /metrics on the operator listener). */
async function admissionCounts(operatorPort: number): Promise<Record<string, number>> {
  const text = await scrapeMetricsText(`http://127.0.0.1:${operatorPort}`);
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^codepay_mqtt_login_admissions_total\{decision="([a-z_]+)"\} (\d+)$/gm)) counts[match[1]!] = Number(match[2]);
  for (const [name, metric] of [["rehashed", "codepay_register_passwords_rehashed_total"], ["sql_statements", "codepay_sql_statements_total"]] as const) {
    const match = new RegExp(`^${metric} (\\d+)$`, "m").exec(text);
    if (match !== null) counts[name] = Number(match[1]);
  }
  for (const match of text.matchAll(/^codepay_mqtt_tls_handshakes_total\{session="([a-z]+)"\} (\d+)$/gm)) counts[`tls_handshakes_${match[1]!}`] = Number(match[2]);
  return counts;
}

// ---- main ----

interface TlsSetup {
  readonly dir: string;
}

function makeTls(dataDir: string): TlsSetup {
  const dir = join(dataDir, "tls");
  createTlsCa({ out: join(dir, "ca") });
  issueServerCert({ ca: join(dir, "ca"), host: "127.0.0.1", out: join(dir, "server") });
  return { dir };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const progress = (line: string): void => void process.stderr.write(`bench:connections: ${line}\n`);
  const dataDir = await mkdtemp(join(tmpdir(), "codepay-connections-"));
  let server: ChildProcess | undefined;
  const workers: WorkerHandle[] = [];
  let payers: StormPayers | undefined;
  const load1mBefore = loadavg()[0] ?? 0;
  try {
    const seeded = await seed(dataDir, options);
    const tls = options.tls ? makeTls(dataDir) : undefined;
    progress(`seeded ${options.registers} registers (${seeded.payers.length} paying${options.oldScryptRows ? ", idle ones as old scrypt rows" : ""})`);
    const listening = await startServer(dataDir, { mqtt: 0, http: 0, gateway: 0, operator: 0 }, tls?.dir);
    server = listening.child;
    const ports = listening.ports;
    const idlePort = tls !== undefined ? ports.mqttTls! : ports.mqtt;
    progress(`server pid ${server.pid} listening; connecting ${seeded.idle.length} idle registers at ${options.ratePerS}/s from ${options.workers} workers${tls !== undefined ? " over TLS" : ""}`);
    const rssIdleKb = procStatusKb(server.pid!, "VmRSS");
    const cpuBeforeConnectMs = processCpuMs(server.pid!);
    const share = Math.ceil(seeded.idle.length / options.workers);
    for (let index = 0; index < options.workers; index += 1) {
      const slice = seeded.idle.slice(index * share, (index + 1) * share);
      if (slice.length > 0) workers.push(startWorker({ mqttPort: idlePort, storeId: STORE_ID, credentials: slice, ratePerS: options.ratePerS / options.workers, ...(tls !== undefined ? { tls: { caDir: join(tls.dir, "ca") } } : {}) }));
    }
    await Promise.all(workers.map((worker) => worker.ready));
    const connectStartedMs = performance.now();
    const status = (): string => `${total(workers, "online")} online, ${total(workers, "refusedBusy")} refused busy, ${total(workers, "connectFailures")} connect failures; server RSS ${mb(procStatusKb(server!.pid!, "VmRSS"))} MB`;
    const workersAlive = (): void => {
      if (workers.some((worker) => worker.child.exitCode !== null)) throw new Error("a load worker exited early");
    };
    await until(() => (workersAlive(), workers.every((worker) => worker.counts.allConnectedOnce)), options.stormTimeoutS + seeded.idle.length / options.ratePerS, 5, () => progress(status()));
    const connectS = (performance.now() - connectStartedMs) / 1000;
    const connectCpuMs = processCpuMs(server.pid!) - cpuBeforeConnectMs;
    const connectAdmission = await admissionCounts(ports.operator);
    progress(`${total(workers, "online")} online after ${connectS.toFixed(1)} s (server CPU ${(connectCpuMs / seeded.idle.length).toFixed(2)} ms per login); holding ${options.holdS} s`);
    const mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
    const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    if (seeded.payers.length > 0) {
      payers = new StormPayers(seeded.payers, mqttUrl, gatewayUrl, options.paymentsPerS);
      await payers.connectAll();
      payers.startPaying();
    }
    await new Promise((done) => setTimeout(done, options.holdS * 1000));
    const held = {
      registers: options.registers,
      idle_online: total(workers, "online"),
      payers: seeded.payers.length,
      tls: options.tls,
      old_scrypt_rows: options.oldScryptRows,
      connect_s: round(connectS, 1),
      connect_logins_per_s: Math.round(seeded.idle.length / connectS),
      connect_server_cpu_ms_per_login: round(connectCpuMs / seeded.idle.length, 3),
      connect_admission: connectAdmission,
      server_rss_before_mb: mb(rssIdleKb),
      server_rss_holding_mb: mb(procStatusKb(server.pid!, "VmRSS")),
      server_rss_peak_mb: mb(procStatusKb(server.pid!, "VmHWM")),
      server_open_fds: readdirSync(`/proc/${server.pid}/fd`).length,
      payments_before_restart: payers?.figures.payments.length ?? 0,
      payments_failed_before_restart: payers?.figures.failed ?? 0,
    };
    let restart: Record<string, unknown> | undefined;
    if (options.restart) {
      restart = await restartStorm({ options, seededIdle: seeded.idle.length, workers, payers, dataDir, ports, tlsDir: tls?.dir, progress, status, server: () => server!, setServer: (child) => (server = child) });
    } else if (payers !== undefined) {
      await payers.stopPaying();
    }
    const result = { ...held, ...(restart !== undefined ? { restart } : {}), load_1m_before: round(load1mBefore, 2), load_1m_after: round(loadavg()[0] ?? 0, 2), first_error: workers.map((worker) => worker.counts.firstError).find((error) => error !== undefined) ?? payers?.figures.firstError ?? null };
    printResult(result, options.json);
    const allHeld = held.idle_online === seeded.idle.length;
    const restartOk = restart === undefined || (restart["all_online"] === true && restart["payments_failed"] === 0);
    return allHeld && restartOk ? 0 : 1;
  } finally {
    await payers?.stopPaying().catch(() => undefined);
    await payers?.disconnect().catch(() => undefined);
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.send("stop");
    await Promise.all(workers.map((worker) => (worker.child.exitCode === null ? new Promise((done) => worker.child.once("exit", done)) : undefined)));
    server?.kill("SIGTERM");
    if (server !== undefined && server.exitCode === null) await new Promise((done) => server!.once("exit", done));
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface StormContext {
  readonly options: Options;
  readonly seededIdle: number;
  readonly workers: WorkerHandle[];
  readonly payers: StormPayers | undefined;
  readonly dataDir: string;
  readonly ports: Ports;
  readonly tlsDir: string | undefined;
  readonly progress: (line: string) => void;
  readonly status: () => string;
  readonly server: () => ChildProcess;
  readonly setServer: (child: ChildProcess) => void;
}

/** SIGKILL, start again on the same ports, and time the way back (see the header). */
async function restartStorm(context: StormContext): Promise<Record<string, unknown>> {
  const { options, workers, payers, progress } = context;
  if (payers !== undefined) {
    await payers.stopPaying();
    await payers.disconnect();
  }
  for (const worker of workers) worker.child.send("mark");
  await new Promise((done) => setTimeout(done, 300)); // the marks arrive before the kill
  const killedAtMs = Date.now();
  await killServer(context.server());
  const restarted = await startServer(context.dataDir, context.ports, context.tlsDir);
  context.setServer(restarted.child);
  const pid = restarted.child.pid!;
  const listeningAtMs = Date.now();
  const cpuAtListeningMs = processCpuMs(pid);
  progress(`killed and restarted in ${((listeningAtMs - killedAtMs) / 1000).toFixed(1)} s (server start ${restarted.startS.toFixed(1)} s); waiting for ${context.seededIdle} registers`);
  const payersBack = payers === undefined ? Promise.resolve() : payers.connectAll().then(() => payers.startPaying());
  const allOnline = await until(() => total(workers, "onlineSinceMark") === context.seededIdle, options.stormTimeoutS, 2, () => progress(`${total(workers, "onlineSinceMark")} back; ${context.status()}`));
  const allOnlineAtMs = Date.now();
  const stormCpuMs = processCpuMs(pid) - cpuAtListeningMs;
  await payersBack;
  // Keep paying a moment after the storm so the payments that started during it finish.
  await new Promise((done) => setTimeout(done, 2_000));
  await payers?.stopPaying();
  const first = Math.min(...workers.map((worker) => worker.counts.firstAcceptedSinceMarkMs ?? Number.POSITIVE_INFINITY));
  const last = Math.max(...workers.map((worker) => worker.counts.lastAcceptedSinceMarkMs ?? 0));
  const accepted = total(workers, "acceptedSinceMark");
  const storm = approveToResult(payers?.figures.payments ?? [], listeningAtMs, allOnlineAtMs);
  const admission = await admissionCounts(context.ports.operator);
  return {
    all_online: allOnline,
    back_online: total(workers, "onlineSinceMark"),
    restart_to_all_online_s: round((allOnlineAtMs - killedAtMs) / 1000, 1),
    server_start_s: round(restarted.startS, 2),
    listening_to_all_online_s: round((allOnlineAtMs - listeningAtMs) / 1000, 1),
    logins_per_s: Math.round(accepted / Math.max(0.001, (last - first) / 1000)),
    logins_per_s_peak: peakPerSecond(workers),
    logins_each_second: perSecondSince(workers, listeningAtMs),
    server_cpu_ms_per_login: round(stormCpuMs / Math.max(1, accepted), 3),
    refused_busy_seen_by_registers: total(workers, "refusedBusy"),
    connect_failures: total(workers, "connectFailures"),
    connect_failures_by_code: byCode(workers),
    admission,
    server_rss_mb: mb(procStatusKb(pid, "VmRSS")),
    server_rss_peak_mb: mb(procStatusKb(pid, "VmHWM")),
    payers_back_after_s: payers === undefined || payers.figures.backOnlineAtMs.length === 0 ? null : round((Math.max(...payers.figures.backOnlineAtMs.slice(-options.payers)) - killedAtMs) / 1000, 1),
    payments_during_storm: storm.count,
    approve_to_result_p50_ms: round(storm.percentile(50), 1),
    approve_to_result_p99_ms: round(storm.percentile(99), 1),
    approve_to_result_max_ms: round(storm.percentile(100), 1),
    payments_after_restart: approveToResult(payers?.figures.payments ?? [], listeningAtMs, Number.POSITIVE_INFINITY).count,
    payments_failed: payers?.figures.failed ?? 0,
    payments_first_error: payers?.figures.firstError ?? null,
  };
}

/** The most logins accepted in one wall-clock second, over all workers. */
function peakPerSecond(workers: readonly WorkerHandle[]): number {
  const perSecond = new Map<string, number>();
  for (const worker of workers) for (const [second, count] of Object.entries(worker.counts.acceptedPerSecond)) perSecond.set(second, (perSecond.get(second) ?? 0) + count);
  return Math.max(0, ...perSecond.values());
}

/** Connect failures by socket error code, over all workers. */
function byCode(workers: readonly WorkerHandle[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const worker of workers) for (const [code, count] of Object.entries(worker.counts.connectFailuresByCode)) counts[code] = (counts[code] ?? 0) + count;
  return counts;
}

/** Logins accepted in each wall-clock second from the one `fromMs` falls in, over all workers: the storm's shape. */
function perSecondSince(workers: readonly WorkerHandle[], fromMs: number): number[] {
  const perSecond = new Map<number, number>();
  for (const worker of workers) for (const [second, count] of Object.entries(worker.counts.acceptedPerSecond)) perSecond.set(Number(second), (perSecond.get(Number(second)) ?? 0) + count);
  const first = Math.floor(fromMs / 1000);
  const last = Math.max(first, ...perSecond.keys());
  return Array.from({ length: last - first + 1 }, (_, offset) => perSecond.get(first + offset) ?? 0);
}

/** SIGKILL: no shutdown, no goodbye to the registers; resolves when the process is gone. */
function killServer(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGKILL");
  return exited;
}

function printResult(result: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rows: [string, string][] = [];
  const flatten = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === "object") for (const [key, inner] of Object.entries(value)) flatten(prefix === "" ? key : `${prefix}.${key}`, inner);
    else rows.push([prefix, String(value)]);
  };
  flatten("", result);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bench:connections: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
