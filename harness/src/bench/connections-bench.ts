/**
 * `npm run bench:connections`: how many idle registers one sync-server process holds, and its memory.
 *
 * Seeds a fresh data directory with N registers, starts `codepay-server serve`, then opens N MQTT
 * sessions from several worker processes (one process cannot hold 20,000 sockets under a 20,000 fd
 * limit, and mqtt.js clients are heavy: the idle registers are raw sockets that send a CONNECT
 * (keepalive 30 s, clean session, their own credentials), SUBSCRIBE to their own down topic like the
 * agent does, and a PINGREQ every half keepalive). Connections are opened at a set rate; the run
 * holds them, then prints how many are held (CONNACK accepted and still open), the server's resident
 * memory (VmRSS and the peak VmHWM from /proc) and its open file descriptors.
 *
 * Seeding: each register gets its own random password, hashed with scrypt at N=16 instead of the
 * production N=16384 (the stored hash carries its cost, and login verifies at that cost). At the
 * production cost one verification takes 50-170 ms of CPU here, so 20,000 first logins would measure
 * scrypt for many minutes, not connection holding; the run prints the production verify time so the
 * first-login time of a fleet can be computed. Reconnects skip scrypt (broker-hooks: remembered logins).
 *
 *   npm run bench:connections -- [--registers 20000] [--workers 4] [--rate-per-s 1000] [--hold-s 10] [--json]
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, scryptSync } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import { generate } from "mqtt-packet";
import { createStore } from "@codepay/sync-server";
import { hashPassword } from "@codepay/sync-server/parts";
import { positiveOption } from "./positive-option.js";

const repositoryRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
const serverBin = join(repositoryRoot, "sync-server/bin/codepay-server.js");
const thisFile = fileURLToPath(import.meta.url);
const STORE_ID = "conn-store";
/** Seeding cost (see above); production registers use hashPassword's default. */
const SEED_SCRYPT_COST_N = 16;
const KEEPALIVE_S = 30;
const CONNACK_ACCEPTED = 0;
const CONNECT_ATTEMPTS_MAX = 8;
const RETRY_PAUSE_MS = 250;

interface Options {
  readonly registers: number;
  readonly workers: number;
  readonly ratePerS: number;
  readonly holdS: number;
  readonly json: boolean;
}

interface WorkerJob {
  readonly mqttPort: number;
  readonly storeId: string;
  readonly credentials: readonly { registerId: string; password: string }[];
  readonly ratePerS: number;
}

interface WorkerCounts {
  held: number;
  refused: number;
  failed: number;
  closed: number;
  retried: number;
  firstError?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      registers: { type: "string", default: "20000" },
      workers: { type: "string", default: "4" },
      "rate-per-s": { type: "string", default: "1000" },
      "hold-s": { type: "string", default: "10" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  return {
    registers: Math.floor(positiveOption("registers", values.registers)),
    workers: Math.floor(positiveOption("workers", values.workers)),
    ratePerS: positiveOption("rate-per-s", values["rate-per-s"]),
    holdS: positiveOption("hold-s", values["hold-s"]),
    json: values.json,
  };
}

/** Registers straight into the migrated database: one transaction, cheap scrypt (see the header). */
async function seedRegisters(dataDir: string, count: number): Promise<{ registerId: string; password: string }[]> {
  await createStore({ dataDir, id: STORE_ID, name: "Connections Store", currency: "JPY" });
  const credentials: { registerId: string; password: string }[] = [];
  const rows: { id: string; hash: string }[] = [];
  for (let index = 0; index < count; index += 1) {
    const registerId = `conn-reg-${index}`;
    const password = randomBytes(24).toString("base64url");
    credentials.push({ registerId, password });
    rows.push({ id: registerId, hash: await hashPassword(password, SEED_SCRYPT_COST_N) });
  }
  const sqlite = new BetterSqlite3(join(dataDir, "codepay.sqlite"));
  try {
    const insert = sqlite.prepare("insert into registers (id, store_id, name, password_hash, created_at) values (?, ?, ?, ?, ?)");
    const now = Date.now();
    sqlite.transaction(() => {
      for (const row of rows) insert.run(row.id, STORE_ID, row.id, row.hash, now);
    })();
  } finally {
    sqlite.close();
  }
  return credentials;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; mqttPort: number }> {
  // CODEPAY_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server, as in `npm run bench`.
  const nodeArgs = (process.env.CODEPAY_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const child = spawn(process.execPath, [...nodeArgs, serverBin, "serve", "--data-dir", dataDir, "--mqtt-port", "0", "--http-port", "0", "--gateway-port", "0"], {
    env: { ...process.env, CODEPAY_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const mqttUrl = await new Promise<string>((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"listening"')) resolvePromise((JSON.parse(line) as { mqtt: string }).mqtt);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  return { child, mqttPort: Number(new URL(mqttUrl).port) };
}

function procStatusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match === null ? Number.NaN : Number(match[1]);
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Production scrypt cost, measured here: one verification of a register login. */
function productionVerifyMs(): number {
  const salt = randomBytes(16);
  const started = performance.now();
  scryptSync("x".repeat(32), salt, 32, { N: 16_384, r: 8, p: 1, maxmem: 256 * 16_384 * 8 });
  return performance.now() - started;
}

// ---- worker process: holds its share of idle registers on raw sockets ----

function openIdleRegister(job: WorkerJob, credential: { registerId: string; password: string }, counts: WorkerCounts): Promise<Socket | undefined> {
  return new Promise((settle) => {
    const socket = connect({ host: "127.0.0.1", port: job.mqttPort, noDelay: true });
    let accepted = false;
    socket.once("connect", () => {
      socket.write(
        generate({
          cmd: "connect",
          protocolId: "MQTT",
          protocolVersion: 4,
          clean: true,
          clientId: credential.registerId,
          keepalive: KEEPALIVE_S,
          username: credential.registerId,
          password: Buffer.from(credential.password, "utf8"),
        }),
      );
    });
    socket.on("data", (bytes: Buffer) => {
      // CONNACK: 0x20 0x02 <session present> <return code> (MQTT 3.1.1 §3.2).
      if (!accepted && bytes[0] === 0x20) {
        if (bytes[3] !== CONNACK_ACCEPTED) {
          counts.refused += 1;
          socket.destroy();
          settle(undefined);
          return;
        }
        accepted = true;
        counts.held += 1;
        const down = `codepay/v1/${job.storeId}/${credential.registerId}/down`;
        socket.write(generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: down, qos: 1 }] }));
        settle(socket);
      }
    });
    socket.on("error", (error) => {
      counts.firstError ??= error.message;
      if (!accepted) {
        counts.failed += 1;
        settle(undefined);
      }
    });
    socket.on("close", () => {
      if (accepted) {
        counts.held -= 1;
        counts.closed += 1;
      } else {
        settle(undefined);
      }
    });
  });
}

/** Like an agent: a refused TCP connect (a full accept queue) is tried again after a growing pause. */
async function openWithRetries(job: WorkerJob, credential: { registerId: string; password: string }, counts: WorkerCounts): Promise<Socket | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    const failedBefore = counts.failed;
    const socket = await openIdleRegister(job, credential, counts);
    if (socket !== undefined || counts.failed === failedBefore || attempt === CONNECT_ATTEMPTS_MAX) return socket;
    counts.failed -= 1;
    counts.retried += 1;
    await new Promise((done) => setTimeout(done, RETRY_PAUSE_MS * attempt));
  }
}

async function runWorker(job: WorkerJob): Promise<void> {
  const counts: WorkerCounts = { held: 0, refused: 0, failed: 0, closed: 0, retried: 0 };
  const sockets: Socket[] = [];
  let done = false;
  const report = (): void => void process.send?.({ ...counts, done });
  const reporter = setInterval(report, 1000);
  const pingreq = generate({ cmd: "pingreq" });
  const pinger = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write(pingreq);
  }, (KEEPALIVE_S * 1000) / 2);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < job.credentials.length; index += 1) {
    // Open at the set rate: connection i starts at i / rate seconds.
    const dueMs = started + (index * 1000) / job.ratePerS - performance.now();
    if (dueMs > 0) await new Promise((done) => setTimeout(done, dueMs));
    pending.push(openWithRetries(job, job.credentials[index]!, counts).then((socket) => void (socket && sockets.push(socket))));
  }
  await Promise.all(pending);
  done = true;
  report();
  process.once("message", () => {
    clearInterval(reporter);
    clearInterval(pinger);
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  });
}

// ---- main process ----

interface WorkerHandle {
  readonly child: ChildProcess;
  counts: WorkerCounts & { done?: boolean };
}

function startWorker(job: WorkerJob): WorkerHandle {
  const child = fork(thisFile, ["--worker"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const handle: WorkerHandle = { child, counts: { held: 0, refused: 0, failed: 0, closed: 0, retried: 0 } };
  child.on("message", (message) => (handle.counts = message as WorkerHandle["counts"]));
  child.send(job);
  return handle;
}

function total(handles: readonly WorkerHandle[], key: "held" | "refused" | "failed" | "closed" | "retried"): number {
  return handles.reduce((sum, handle) => sum + handle.counts[key], 0);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const dataDir = await mkdtemp(join(tmpdir(), "codepay-connections-"));
  let server: ChildProcess | undefined;
  const workers: WorkerHandle[] = [];
  try {
    const verifyMs = productionVerifyMs();
    const progress = (line: string): void => void process.stderr.write(`bench:connections: ${line}\n`);
    const credentials = await seedRegisters(dataDir, options.registers);
    progress(`seeded ${credentials.length} registers`);
    const started = await startServer(dataDir);
    progress(`server pid ${started.child.pid} listening; connecting at ${options.ratePerS}/s from ${options.workers} workers`);
    server = started.child;
    const pid = server.pid!;
    const rssIdleKb = procStatusKb(pid, "VmRSS");
    const share = Math.ceil(credentials.length / options.workers);
    const connectStartedMs = performance.now();
    for (let index = 0; index < options.workers; index += 1) {
      const slice = credentials.slice(index * share, (index + 1) * share);
      if (slice.length > 0) workers.push(startWorker({ mqttPort: started.mqttPort, storeId: STORE_ID, credentials: slice, ratePerS: options.ratePerS / options.workers }));
    }
    let polls = 0;
    while (!workers.every((worker) => worker.counts.done === true)) {
      if (workers.some((worker) => worker.child.exitCode !== null)) throw new Error("a load worker exited early");
      await new Promise((done) => setTimeout(done, 250));
      if ((polls += 1) % 20 === 0) progress(`${total(workers, "held")} held, ${total(workers, "refused")} refused, ${total(workers, "failed")} failed; server RSS ${Math.round(procStatusKb(pid, "VmRSS") / 1024)} MB`);
    }
    const connectS = (performance.now() - connectStartedMs) / 1000;
    progress(`${total(workers, "held")} held after ${connectS.toFixed(1)} s; holding ${options.holdS} s`);
    await new Promise((done) => setTimeout(done, options.holdS * 1000));
    const result = {
      registers: options.registers,
      held: total(workers, "held"),
      refused: total(workers, "refused"),
      failed: total(workers, "failed"),
      dropped: total(workers, "closed"),
      connects_retried: total(workers, "retried"),
      connect_s: Math.round(connectS * 10) / 10,
      connects_per_s: Math.round(total(workers, "held") / connectS),
      hold_s: options.holdS,
      server_rss_mb: Math.round(procStatusKb(pid, "VmRSS") / 102.4) / 10,
      server_rss_peak_mb: Math.round(procStatusKb(pid, "VmHWM") / 102.4) / 10,
      server_rss_before_mb: Math.round(rssIdleKb / 102.4) / 10,
      server_open_fds: openFds(pid),
      production_scrypt_verify_ms: Math.round(verifyMs * 10) / 10,
      first_error: workers.map((worker) => worker.counts.firstError).find((error) => error !== undefined) ?? null,
    };
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      const rows: [string, string][] = [
        ["idle registers held / asked", `${result.held} / ${result.registers} (refused ${result.refused}, failed ${result.failed}, dropped while held ${result.dropped}, TCP connects retried ${result.connects_retried})`],
        ["connected in", `${result.connect_s} s (${result.connects_per_s} logins/s)`],
        ["server RSS: before / holding / peak", `${result.server_rss_before_mb} / ${result.server_rss_mb} / ${result.server_rss_peak_mb} MB`],
        ["server open file descriptors", String(result.server_open_fds)],
        ["one scrypt verify at production cost", `${result.production_scrypt_verify_ms} ms`],
      ];
      if (result.first_error !== null) rows.push(["first error", result.first_error]);
      const width = Math.max(...rows.map(([label]) => label.length));
      for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
    }
    return result.held === options.registers ? 0 : 1;
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.send("stop");
    await Promise.all(workers.map((worker) => (worker.child.exitCode === null ? new Promise((done) => worker.child.once("exit", done)) : undefined)));
    server?.kill("SIGTERM");
    if (server !== undefined && server.exitCode === null) await new Promise((done) => server!.once("exit", done));
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--worker")) {
  process.once("message", (job) => void runWorker(job as WorkerJob));
} else {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`bench:connections: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
