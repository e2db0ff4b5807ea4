/**
 * `npm run bench:agent`: how fast the register agent is ready and how much memory it holds idle.
 * Starts a server process, enrolls a register, then starts `codepay-agent run` (no devices: they are
 * "aside" in the target) several times and reports the time from spawn to its ready line and its
 * resident memory while it idles on a live MQTT session: 5 s after ready (start-up garbage still
 * held) and at the end of the idle period (default 30 s: V8's memory reducer first runs about 8 s
 * after start-up, and a register spends most of its life idle like this).
 *
 *   npm run bench:agent -- --help
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createStore, enrollRegister } from "@codepay/sync-server";
import { parseBenchFlags, type BenchUsage, type FlagSpec } from "./bench-flags.js";
import { LatencySamples, round } from "./latency-stats.js";
import { positiveOption } from "./positive-option.js";

const repositoryRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
const serverBin = join(repositoryRoot, "sync-server/bin/codepay-server.js");
const agentBin = join(repositoryRoot, "terminal-agent/bin/codepay-agent.js");

/** Spawns a node script and resolves with the child and the first JSON line whose event matches. */
async function spawnUntil(args: string[], event: string): Promise<{ child: ChildProcess; line: Record<string, unknown>; readyMs: number }> {
  const started = performance.now();
  // UV_USE_IO_URING=0 up front: the agent would otherwise re-run itself with it set, and we'd time two starts.
  const child = spawn(process.execPath, args, { env: { ...process.env, UV_USE_IO_URING: "0", CODEPAY_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "ignore"] });
  const line = await new Promise<Record<string, unknown>>((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).on("line", (text) => {
      if (!text.startsWith("{")) return;
      const parsed = JSON.parse(text) as Record<string, unknown>;
      if (parsed["event"] === event) resolvePromise(parsed);
    });
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}) before ${event}`)));
  });
  return { child, line, readyMs: performance.now() - started };
}

async function residentMemoryBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kilobytes = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kilobytes === undefined) throw new Error("no VmRSS in /proc status");
  return Number(kilobytes) * 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  await exited;
}

const USAGE = {
  command: "npm run bench:agent --",
  summary: [
    "How fast the register agent (`codepay-agent run`, no devices) is ready after spawn, and how much memory it",
    "holds idle on a live MQTT session to a real server. Starts the agent several times; the last one idles.",
  ].join("\n"),
  flags: {
    starts: { type: "string", default: "5", value: "N", description: "agent starts to time" },
    "idle-s": { type: "string", default: "30", value: "S", description: "how long the last agent idles before its memory is read, seconds" },
    json: { type: "boolean", default: false, description: "print one JSON line instead of lines of text" },
  },
  figures: [
    "agent_ready_p50_ms / _max_ms   spawn -> the agent prints its {\"event\":\"ready\"} line (startAgent done), over the starts",
    "agent_early_idle_rss_mb        resident memory (VmRSS) 5 s after ready: start-up garbage still held",
    "agent_idle_rss_mb              resident memory after --idle-s (V8's memory reducer first runs about 8 s in)",
  ],
} satisfies BenchUsage<Record<string, FlagSpec>>;

async function main(): Promise<number> {
  const values = parseBenchFlags(process.argv.slice(2), USAGE);
  if (values === undefined) return 0;
  const starts = Math.floor(positiveOption("starts", values.starts));
  const idleSeconds = Number(values["idle-s"]);
  if (!Number.isFinite(idleSeconds) || idleSeconds < 0) throw new Error("--idle-s must be a number of seconds, 0 or more");
  const idleMs = idleSeconds * 1000;
  const dataDir = await mkdtemp(join(tmpdir(), "codepay-agent-bench-"));
  let server: ChildProcess | undefined;
  try {
    await createStore({ dataDir, id: "bench-store", name: "Bench Store", currency: "JPY" });
    const register = await enrollRegister({ dataDir, storeId: "bench-store", registerId: "bench-reg", name: "Register" });
    const started = await spawnUntil([serverBin, "serve", "--data-dir", dataDir, "--mqtt-port", "0", "--http-port", "0", "--gateway-port", "0", "--operator-port", "0"], "listening");
    server = started.child;
    const configPath = join(dataDir, "agent.json");
    const readiness = new LatencySamples();
    const earlyIdleMs = Math.min(5000, idleMs);
    let earlyRssBytes = 0;
    let rssBytes = 0;
    for (let index = 0; index < starts; index += 1) {
      const config = {
        server: { url: started.line["mqtt"] },
        register: { storeId: "bench-store", registerId: "bench-reg", password: register.password },
        currency: "JPY",
        storeName: "Bench Store",
        journalPath: join(dataDir, `journal-${index}.sqlite`),
        cashierApi: { host: "127.0.0.1", port: 0 },
        devices: {},
      };
      await writeFile(configPath, JSON.stringify(config), { mode: 0o600 });
      const agent = await spawnUntil([agentBin, "run", "--config", configPath], "ready");
      readiness.add(agent.readyMs);
      if (index === starts - 1) {
        await new Promise((done) => setTimeout(done, earlyIdleMs));
        earlyRssBytes = await residentMemoryBytes(agent.child.pid!);
        await new Promise((done) => setTimeout(done, idleMs - earlyIdleMs));
        rssBytes = await residentMemoryBytes(agent.child.pid!);
      }
      await stop(agent.child);
    }
    const result = {
      agent_ready_p50_ms: round(readiness.percentile(50), 1),
      agent_ready_max_ms: round(readiness.percentile(100), 1),
      agent_idle_rss_mb: round(rssBytes / 1024 / 1024, 1),
      agent_early_idle_rss_mb: round(earlyRssBytes / 1024 / 1024, 1),
      early_idle_s: earlyIdleMs / 1000,
      starts,
      idle_s: idleMs / 1000,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(`agent ready after spawn p50 / max  ${result.agent_ready_p50_ms} / ${result.agent_ready_max_ms} ms (${starts} starts, no devices)\n`);
      process.stdout.write(`agent resident memory ${result.early_idle_s} s after ready, idle on a live MQTT session  ${result.agent_early_idle_rss_mb} MB\n`);
      process.stdout.write(`agent resident memory ${result.idle_s} s after ready, idle on a live MQTT session  ${result.agent_idle_rss_mb} MB\n`);
    }
    return 0;
  } finally {
    if (server !== undefined) await stop(server);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bench:agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
