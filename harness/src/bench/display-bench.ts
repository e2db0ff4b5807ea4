/**
 * npm run bench:display [-- --payments 10] (--help: flags and what the figures mean)
 * 1. Bytes written per display update against the minimal bytes for that change, per model
 *    (minimal: the cheapest set of cursor moves + changed cells, found exhaustively per row). Every
 *    update is also fed to the simulator's display of that model and must leave exactly the wanted
 *    screen, so a ratio can never look good by sending too little.
 * 2. With the simulator pacing bytes at 9600 baud (8N1), the time from the PAYMENT REQUEST (the
 *    cashier API call `POST /v1/payments`) to the last code byte on the simulated glass, through the
 *    real agent, a real server (MQTT on loopback, SQLite) and the code's way back; against the wire
 *    time of the bytes the display received in that time (and of the code screen's own bytes).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseBenchFlags, type BenchUsage, type FlagSpec } from "./bench-flags.js";
import pino from "pino";
import { demoSeed, silentLogger, startServer } from "@codepay/sync-server";
import type { DemoSeedOutput, RunningServer } from "@codepay/sync-server";
import { parseConfig, startAgent, type SerialBinding } from "@codepay/terminal-agent";
import { COMMAND_SETS, DISPLAY_MODELS, SerialPoleDisplay, openTransport, renderScreen, type DisplayModel, type Frame, type Payment } from "@codepay/terminal-agent/parts";
import * as simulator from "@codepay/hardware-sim";

type SimModule = typeof simulator;
type DisplayEmulator = InstanceType<typeof simulator.PoleDisplayEmulator>;

const BITS_PER_BYTE_8N1 = 10;
const start = 1_700_000_000_000;

function payment(state: Payment["state"], at: number): Payment {
  return { paymentId: "bench-0001", state, amount: { minor: 1200, currency: "JPY" }, lines: [], createRequestId: "r", code: "4829137", expiresAt: start + 120_000, receiptPrinted: false, cancelRequested: false, createdAt: start, updatedAt: at } as unknown as Payment;
}

/** The frames a shopper sees during one payment: idle, waiting, the code counting down 10 s, approved, idle. */
function scenario(): Frame[] {
  const frames: Frame[] = [renderScreen({ storeName: "Demo Store", linkUp: true }, start)];
  frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("requested", start) }, start));
  for (let second = 0; second <= 10; second++) frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("issued", start) }, start + 1_000 + second * 1_000));
  frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("approved", start + 12_000) }, start + 12_000));
  frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("approved", start + 12_000) }, start + 20_000));
  return frames;
}

/** Cheapest bytes for one row: partition the changed cells into runs, each run = one cursor move + its cells. */
function minimalRowBytes(from: string, to: string, moveBytes: number): number {
  const changed = [...to].flatMap((character, column) => (from[column] === character ? [] : [column]));
  const best: number[] = [0];
  for (let end = 1; end <= changed.length; end++) {
    let cost = Infinity;
    for (let first = 0; first < end; first++) cost = Math.min(cost, best[first]! + moveBytes + (changed[end - 1]! - changed[first]! + 1));
    best[end] = cost;
  }
  return best[changed.length]!;
}

function minimalBytes(from: Frame, to: Frame, model: DisplayModel): number {
  return to.reduce((sum, row, index) => sum + minimalRowBytes(from[index]!, row, COMMAND_SETS[model].cursorMoveBytes), 0);
}

function bytesPerUpdate(sim: SimModule): void {
  const logger = pino({ level: "silent" });
  console.log("1) bytes written per update vs minimal bytes for that change (after the first full frame)");
  for (const model of DISPLAY_MODELS) {
    const display = new SerialPoleDisplay(openTransport({ path: "tcp://127.0.0.1:9", baudRate: 9600, logger }), logger, { model });
    const emulator = new sim.PoleDisplayEmulator(model);
    const frames = scenario().map((frame) => frame.map((line) => line.padEnd(20)));
    emulator.receive(display.encode(undefined, frames[0]!));
    let written = 0;
    let minimal = 0;
    let worst = 1;
    let wrongScreens = 0;
    for (let index = 1; index < frames.length; index++) {
      const bytes = display.encode(frames[index - 1], frames[index]!);
      emulator.receive(bytes);
      if (emulator.snapshot().lines.join("|") !== frames[index]!.join("|")) wrongScreens++;
      const least = minimalBytes(frames[index - 1]!, frames[index]!, model);
      written += bytes.length;
      minimal += least;
      if (least > 0) worst = Math.max(worst, bytes.length / least);
    }
    const check = wrongScreens === 0 ? "every update decoded to the wanted screen" : `${wrongScreens} updates left a WRONG screen`;
    console.log(`   ${model.padEnd(15)} updates ${frames.length - 1}  written ${written} B  minimal ${minimal} B  ratio ${(written / minimal).toFixed(3)}x  worst update ${worst.toFixed(3)}x  (goal <= 1.1x; ${check})`);
    if (wrongScreens > 0) process.exitCode = 1;
  }
}

/** Nearest-rank percentile of `values` (p in 0..100). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

function wireMs(bytes: number, baudRate: number): number {
  return (bytes * BITS_PER_BYTE_8N1 * 1000) / baudRate;
}

interface System {
  readonly server: RunningServer;
  readonly seed: DemoSeedOutput;
  readonly dataDir: string;
}

/** Waits for the display to show `lines` (a predicate on its lines), resolving with the time it did. */
function whenShown(display: DisplayEmulator, matches: (lines: readonly string[]) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!matches(display.snapshot().lines)) return;
      display.off("changed", check);
      resolve(performance.now());
    };
    display.on("changed", check);
    check();
  });
}

/**
 * Follows GET /v1/events and notes when each payment became `issued` (the agent has its code). The
 * event crosses loopback HTTP, so the note is late by that hop (well under a millisecond here).
 */
function followIssued(cashierApiUrl: string): { issuedAt: Map<string, number>; close(): void } {
  const issuedAt = new Map<string, number>();
  let buffer = "";
  const request = httpGet(`${cashierApiUrl}/v1/events`, (response) => {
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      const at = performance.now();
      buffer += chunk;
      const events = buffer.split("\n\n");
      buffer = events.pop() ?? "";
      for (const event of events) {
        const data = event.split("\n").find((line) => line.startsWith("data: "));
        if (data === undefined) continue;
        const { payment } = JSON.parse(data.slice("data: ".length)) as { payment: { paymentId: string; state: string } };
        if (payment.state === "issued" && !issuedAt.has(payment.paymentId)) issuedAt.set(payment.paymentId, at);
      }
    });
  });
  request.on("error", () => undefined);
  return { issuedAt, close: () => request.destroy() };
}

/** Resolves once no byte has reached the display for `quietMs` (the wire is idle). */
async function wireQuiet(lastByteAt: () => number, quietMs: number): Promise<void> {
  while (performance.now() - lastByteAt() < quietMs) await new Promise((resolve) => setTimeout(resolve, quietMs / 4));
}

const BAUD_RATE = 9600;

type Cashier = (path: string, body?: unknown) => Promise<Record<string, unknown>>;

interface BenchRegister {
  readonly display: DisplayEmulator;
  readonly cashier: Cashier;
  readonly cashierApiUrl: string;
  /** Bytes the simulated display has received, and when the last arrived. */
  readonly displayBytes: () => number;
  readonly lastByteAt: () => number;
  stop(): Promise<void>;
}

interface Sample {
  readonly totalMs: number;
  /** Request -> the agent has the code (its issued event); undefined if the event was missed. */
  readonly toIssuedMs: number | undefined;
  /** Display bytes delivered from the request to the chunk completing the code. */
  readonly bytes: number;
}

/** The simulated display (paced) and a real agent driving it, its line up and the idle screen shown. */
async function startBenchRegister(sim: SimModule, system: System, model: DisplayModel): Promise<BenchRegister> {
  const devices = await sim.startDevices({ transport: "in-process", baudPacing: true, displayModel: model });
  let displayBytes = 0;
  let lastByteAt = performance.now();
  const receive = devices.display.receive.bind(devices.display);
  devices.display.receive = (bytes: Buffer): void => {
    displayBytes += bytes.length;
    lastByteAt = performance.now();
    receive(bytes);
  };
  const config = parseConfig({
    server: { url: system.server.mqttUrl },
    register: { storeId: system.seed.storeId, registerId: system.seed.registerId, password: system.seed.password },
    currency: "JPY",
    storeName: "Demo Store",
    journalPath: join(system.dataDir, `bench-journal-${model}.sqlite`),
    cashierApi: { host: "127.0.0.1", port: 0 },
    devices: { display: { path: devices.paths.display, baudRate: BAUD_RATE, model } },
  });
  const agent = await startAgent(config, { binding: devices.binding, logger: silentLogger() });
  const cashier: Cashier = async (path, body) => {
    const response = await fetch(`${agent.cashierApiUrl}${path}`, { method: body === undefined ? "GET" : "POST", headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return (await response.json()) as Record<string, unknown>;
  };
  while ((await cashier("/v1/health"))["mqtt"] !== "up") await new Promise((resolve) => setTimeout(resolve, 20));
  await whenShown(devices.display, (lines) => lines[1]?.startsWith("PAY WITH CODE PAY") ?? false);
  return {
    display: devices.display, cashier, cashierApiUrl: agent.cashierApiUrl, displayBytes: () => displayBytes, lastByteAt: () => lastByteAt,
    async stop() {
      await agent.stop();
      await devices.stop();
    },
  };
}

/** One payment: request, wait for its whole code on the glass, check it is this payment's, cancel. */
async function measurePayment(register: BenchRegister, issuedAt: ReadonlyMap<string, number>, amountMinor: number): Promise<Sample> {
  await wireQuiet(register.lastByteAt, 100);
  const bytesBefore = register.displayBytes();
  const requested = performance.now();
  const created = (await register.cashier("/v1/payments", { amountMinor }))["payment"] as { paymentId: string };
  // Counted when the screen changes: the bytes delivered so far, the last of them completing the code.
  let bytesAtCode = 0;
  const shownAt = await whenShown(register.display, (lines) => {
    const complete = /^CODE \d{3} \d{4}(?!\d)/.test(lines[1] ?? "");
    if (complete) bytesAtCode = register.displayBytes();
    return complete;
  });
  const code = ((await register.cashier(`/v1/payments/${created.paymentId}`))["payment"] as { code?: string }).code;
  if (code === undefined || register.display.snapshot().lines[1]!.replace(/\s/g, "").indexOf(`CODE${code}`) !== 0) throw new Error(`the display does not show payment ${created.paymentId}'s code ${code}`);
  const issued = issuedAt.get(created.paymentId);
  await register.cashier(`/v1/payments/${created.paymentId}/cancel`, {});
  await whenShown(register.display, (lines) => !(lines[1] ?? "").startsWith("CODE"));
  return { totalMs: shownAt - requested, toIssuedMs: issued === undefined ? undefined : issued - requested, bytes: bytesAtCode - bytesBefore };
}

/** The code screen's own bytes (waiting screen -> code screen), from the driver's encoder. */
function codeScreenBytes(model: DisplayModel): number {
  const logger = pino({ level: "silent" });
  const encoder = new SerialPoleDisplay(openTransport({ path: "tcp://127.0.0.1:9", baudRate: BAUD_RATE, logger }), logger, { model });
  const waiting = renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("requested", start) }, start);
  const issued = renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("issued", start) }, start + 1_000);
  return encoder.encode(waiting.map((line) => line.padEnd(20)), issued).length;
}

function reportLatency(model: DisplayModel, samples: readonly Sample[]): void {
  const median = (values: readonly number[]): string => percentile(values, 50).toFixed(1);
  const totals = samples.map((sample) => sample.totalMs);
  const wires = samples.map((sample) => wireMs(sample.bytes, BAUD_RATE));
  const ratios = samples.map((sample) => sample.totalMs / wireMs(sample.bytes, BAUD_RATE));
  console.log(
    `   ${model.padEnd(15)} request -> last code byte on glass: median ${median(totals)} ms  p95 ${percentile(totals, 95).toFixed(1)} ms  max ${Math.max(...totals).toFixed(1)} ms; ` +
      `display bytes in that time (PLEASE WAIT + code screen, up to the paced chunk holding the last code digit): median ${percentile(samples.map((sample) => sample.bytes), 50)} B = wire ${median(wires)} ms; total/wire median ${percentile(ratios, 50).toFixed(2)}x`,
  );
  const split = samples.flatMap((sample) => (sample.toIssuedMs === undefined ? [] : [{ toIssued: sample.toIssuedMs, after: sample.totalMs - sample.toIssuedMs }]));
  const ownBytes = codeScreenBytes(model);
  console.log(
    `   ${"".padEnd(15)} of which request -> agent has the code (issued event, ${split.length} of ${samples.length} seen): median ${split.length > 0 ? median(split.map((each) => each.toIssued)) : "-"} ms; ` +
      `issued -> last code byte: median ${split.length > 0 ? median(split.map((each) => each.after)) : "-"} ms (the code screen's own ${ownBytes} B are ${wireMs(ownBytes, BAUD_RATE).toFixed(1)} ms of wire)`,
  );
}

async function codeLatency(sim: SimModule, system: System, payments: number): Promise<void> {
  console.log(`2) payment request (POST /v1/payments) -> last code byte on the simulated glass, ${BAUD_RATE} baud paced, ${payments} payments per model`);
  console.log("   through the real agent, server (MQTT over loopback, SQLite) and simulated display; wire = 10 bits per byte (8N1)");
  for (const model of DISPLAY_MODELS) {
    const register = await startBenchRegister(sim, system, model);
    const events = followIssued(register.cashierApiUrl);
    const samples: Sample[] = [];
    for (let index = 0; index < payments; index++) samples.push(await measurePayment(register, events.issuedAt, 1200 + index));
    reportLatency(model, samples);
    events.close();
    await register.stop();
  }
}

async function withSystem(run: (system: System) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "codepay-display-bench-"));
  const server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0, operator: 0 }, logger: silentLogger() });
  try {
    const seed = await demoSeed({ dataDir });
    await run({ server, seed, dataDir });
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const USAGE = {
  command: "npm run bench:display --",
  summary: [
    "Pole display: bytes written per update against the fewest bytes that change, per display model, and the",
    "time from a payment request to the code's last byte on the simulated glass at 9600 baud.",
  ].join("\n"),
  flags: {
    payments: { type: "string", default: "10", value: "N", description: "payments timed per display model in part 2, 1..1000" },
  },
  figures: [
    "1) per model: bytes written over all updates / the minimal bytes for those changes (ratio, goal <= 1.1x), and",
    "   the worst single update; every update is also checked on the simulator's display of that model",
    "2) per model: payment request (cashier API POST /v1/payments) -> last code byte on the glass, median / p95 /",
    "   max, through the real agent and server; the display bytes in that time as wire time (9600 baud 8N1:",
    "   1.04 ms a byte) and total / wire; split into request -> agent has the code, and code -> last byte",
    "load average before and after part 2: timings on a loaded machine spread, wire times do not",
  ],
} satisfies BenchUsage<Record<string, FlagSpec>>;

/** The payments to time, or undefined when --help was printed; a bad command line exits 2 with the reason. */
function parseFlags(): number | undefined {
  try {
    const values = parseBenchFlags(process.argv.slice(2), USAGE);
    if (values === undefined) return undefined;
    const count = Number(values.payments);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new Error("--payments must be 1..1000");
    return count;
  } catch (error) {
    console.error(`bench:display: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}

const payments = parseFlags();
if (payments === undefined) process.exit(0);
const sim: SimModule = simulator;
const load = (): string => loadavg().map((value) => value.toFixed(2)).join(" ");
bytesPerUpdate(sim);
console.log(`   machine: ${cpus().length} cores, load average ${load()} (1/5/15 min) before part 2`);
await withSystem((system) => codeLatency(sim, system, payments));
console.log(`   load average after: ${load()}; timings on a loaded machine spread (the wire time does not)`);
