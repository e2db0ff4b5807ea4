/**
 * The payments bench's load: R registers (lean-register.ts), each paying one payment after another with
 * a phone (lean-phone.ts) through the carrier gateway: create -> code -> claim (shows store and amount)
 * -> approve -> the pushed result arrives -> acknowledged.
 *
 * Every per-payment figure divides what happened inside the measured window (after the warm-up) by the
 * payments completed inside that same window: the server's and this process's CPU, the server's SQL
 * statements, write transactions and WAL fsyncs. Latencies count payments that started and ended in it.
 */
import { lockWaitFigures, type LockSamples } from "./postgres-lock-sampler.js";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { newTimeOrderedId } from "@codepay/contract";
import { FullSimulatorPhone, FullSimulatorRegister, type BenchPhone, type BenchRegister } from "./full-simulator-load.js";
import { LatencySamples } from "./latency-stats.js";
import { LeanPhone } from "./lean-phone.js";
import { LeanRegister } from "./lean-register.js";
import type { CpuMs } from "./scale-out-cluster.js";
import { LOOP_TICK_MS, bucketQuantileMs, combinedScrape, pastTick, perPayment, scrapeServer, type LoopDelay, type ServerScrape } from "./server-scrape.js";

export const CURRENCY = "JPY";
export const AMOUNT_MINOR = 100;

export interface DriveOptions {
  /** lean: the bench's own register and phone; sim: the full simulators (to see what those cost). */
  readonly generator: "lean" | "sim";
  readonly durationS: number;
  readonly warmupS: number;
  readonly ratePerS: number | undefined;
}

export interface Seeded {
  readonly registers: { storeId: string; registerId: string; password: string }[];
  readonly credentials: string[];
}

export interface Listening {
  mqtt: string;
  /** A broker cluster: register i connects to mqttUrls[i % N] (mqtts://) with registerTls's certificate. */
  mqttUrls?: readonly string[];
  registerTls?: (registerId: string) => { ca: string; cert: string; key: string };
  gateway: string;
  /** The operator listener (serves GET /metrics). */
  operator?: string;
  /** Scale-out: every instance's operator listener; their counters are summed. */
  operators?: readonly string[];
  /** Scale-out: every instance's gateway; phone i uses gateways[i % N]. */
  gateways?: readonly string[];
}

export interface RunFigures {
  /** Payments that started and ended inside the window (the latencies are theirs). */
  completed: number;
  /** Payments whose result arrived inside the window: what every per-payment figure divides by. */
  windowPayments: number;
  failed: number;
  firstError: string | undefined;
  requestToCode: LatencySamples;
  approveToResult: LatencySamples;
  /** The phone's approve request alone: sent -> HTTP reply (the server has committed and pushed by then). */
  approveReply: LatencySamples;
  /** Event-loop delay over the window: this load generator's own, and the server's (from its /metrics). */
  generatorLoopDelay: LoopDelay;
  serverLoopDelay: LoopDelay | undefined;
  /** The server's WAL fdatasyncs over the window, ms (bucket upper bounds); undefined without any. */
  walFsyncP50Ms: number | undefined;
  walFsyncP99Ms: number | undefined;
  /** This process's CPU (registers' MQTT, phones' HTTP) per payment, ms, and its user / system parts. */
  generatorCpuMsPerPayment: number;
  generatorUserMsPerPayment: number;
  generatorSystemMsPerPayment: number;
  /** The server side's CPU per payment by role (one process: all of it under `servers`). */
  serverCpuMsPerPayment: CpuMs;
  /** From the server's counters; undefined when it does not report them (scale-out: no one /metrics). */
  statementsPerPayment: number | undefined;
  writeTransactionsPerPayment: number | undefined;
  sqliteFsyncsPerPayment: number | undefined;
  /** Scale-out: PostgreSQL transactions (every one, the sweeps' reads included) and WAL bytes per payment. */
  postgresPerPayment: { commits: number; walBytes: number } | undefined;
  /** Scale-out: the share of sampled active PostgreSQL backends waiting on a lock, over the window. */
  postgresLockWaits: ReturnType<typeof lockWaitFigures> | undefined;
  measuredS: number;
}

function newRegister(generator: DriveOptions["generator"], listening: Listening, index: number, seeded: Seeded["registers"][number]): BenchRegister {
  const mqttUrl = listening.mqttUrls?.[index % listening.mqttUrls.length] ?? listening.mqtt;
  if (generator === "sim") {
    if (listening.registerTls !== undefined) throw new Error("--generator sim does not speak to a broker cluster (certificates); use the lean generator");
    return new FullSimulatorRegister({ mqttUrl, ...seeded });
  }
  const broker = new URL(mqttUrl);
  const tls = listening.registerTls?.(seeded.registerId);
  return new LeanRegister({ host: broker.hostname, port: Number(broker.port || 1883), ...seeded, ...(tls !== undefined ? { tls } : {}) });
}

function newPhone(generator: DriveOptions["generator"], options: { gatewayUrl: string; subscriberCredential: string }): BenchPhone {
  return generator === "sim" ? new FullSimulatorPhone(options) : new LeanPhone(options);
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

/** How the bench reads the server side at each edge of the window. */
export interface ServerProbe {
  /** CPU used so far by role (one process: all of it under `servers`). */
  cpuMs(): CpuMs;
  /** Scale-out: PostgreSQL's committed transactions (all, reads included) and WAL bytes so far. */
  postgresActivity?(): Promise<{ commits: number; walBytes: number }>;
  /** Scale-out: lock-wait samples of PostgreSQL's active backends so far (postgres-lock-sampler.ts). */
  postgresLockSamples?(): LockSamples;
}

/** Everything counted at one edge of the window. */
interface WindowEdge {
  readonly atMs: number;
  readonly payments: number;
  readonly generatorCpu: NodeJS.CpuUsage;
  readonly serverCpu: CpuMs;
  readonly scrape: ServerScrape | undefined;
  readonly postgres: { commits: number; walBytes: number } | undefined;
  readonly locks: LockSamples | undefined;
}

export async function drive(listening: Listening, seeded: Seeded, options: DriveOptions, server: ServerProbe): Promise<RunFigures> {
  const registers = seeded.registers.map((r, index) => newRegister(options.generator, listening, index, r));
  await Promise.all(registers.map((register) => register.connect()));
  const phones = seeded.credentials.map((credential, index) =>
    newPhone(options.generator, { gatewayUrl: listening.gateways?.[index % listening.gateways.length] ?? listening.gateway, subscriberCredential: credential }),
  );
  const samples = { requestToCode: new LatencySamples(), approveToResult: new LatencySamples(), approveReply: new LatencySamples() };
  const counts = { completed: 0, completedAll: 0, failed: 0, firstError: undefined as string | undefined };
  const startedMs = performance.now();
  const measureFromMs = startedMs + options.warmupS * 1000;
  const endMs = measureFromMs + options.durationS * 1000;
  const pacer = new StartPacer(options.ratePerS);

  const edge = async (): Promise<WindowEdge> => {
    // The synchronous readings first, at one instant; the scrape (a few ms later) only feeds counters.
    const taken = { atMs: performance.now(), payments: counts.completedAll, generatorCpu: process.cpuUsage(), serverCpu: server.cpuMs(), locks: server.postgresLockSamples?.() };
    const operators = listening.operators ?? (listening.operator === undefined ? [] : [listening.operator]);
    const [scrapes, postgres] = await Promise.all([Promise.all(operators.map((operator) => scrapeServer(operator))), server.postgresActivity?.()]);
    return { ...taken, scrape: combinedScrape(scrapes), postgres };
  };
  const generatorLoop = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
  const window = (async () => {
    await new Promise((done) => setTimeout(done, Math.max(0, measureFromMs - performance.now())));
    const start = await edge();
    generatorLoop.enable();
    await new Promise((done) => setTimeout(done, Math.max(0, endMs - performance.now())));
    generatorLoop.disable();
    return { start, end: await edge() };
  })();

  const worker = async (register: BenchRegister, index: number): Promise<void> => {
    const phone = phones[index % phones.length]!;
    while (performance.now() < endMs) {
      await pacer.wait();
      // Named as the agent names a payment the POS did not name: a time-ordered id (terminal-agent/src/ids.ts).
      const paymentId = newTimeOrderedId();
      const t0 = performance.now();
      try {
        const issued = await register.create(paymentId, AMOUNT_MINOR, CURRENCY);
        const t1 = performance.now();
        const result = register.result(paymentId);
        // A failed claim or approval never gets a pushed result: keep that rejection handled.
        result.catch(() => undefined);
        const claim = await phone.claim(issued.code);
        if (claim.paymentId !== paymentId || claim.amountMinor !== AMOUNT_MINOR || claim.currency !== CURRENCY) {
          throw new Error(`claim showed ${claim.paymentId} ${claim.amountMinor} ${claim.currency}, not ${paymentId} ${AMOUNT_MINOR} ${CURRENCY}`);
        }
        const approveAt = performance.now();
        const approval = await phone.approve(paymentId);
        const repliedAt = performance.now();
        if (approval.state !== "approved") throw new Error(`approve: ${approval.state}`);
        const state = await result;
        const t2 = performance.now();
        if (state.state !== "approved") throw new Error(`result ${state.state}`);
        counts.completedAll += 1;
        if (t0 >= measureFromMs && t2 <= endMs) {
          counts.completed += 1;
          samples.requestToCode.add(t1 - t0);
          samples.approveToResult.add(t2 - approveAt);
          samples.approveReply.add(repliedAt - approveAt);
        }
      } catch (error) {
        counts.failed += 1;
        counts.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(registers.map((register, index) => worker(register, index)));
  const { start, end } = await window;
  for (const phone of phones) phone.stop();
  await Promise.all(registers.map((register) => register.stop()));
  return windowFigures(start, end, counts, samples, generatorLoop);
}

function windowFigures(
  start: WindowEdge,
  end: WindowEdge,
  counts: { completed: number; failed: number; firstError: string | undefined },
  samples: Pick<RunFigures, "requestToCode" | "approveToResult" | "approveReply">,
  generatorLoop: ReturnType<typeof monitorEventLoopDelay>,
): RunFigures {
  const payments = end.payments - start.payments;
  const per = (ms: number): number => ms / Math.max(1, payments);
  const userMs = (end.generatorCpu.user - start.generatorCpu.user) / 1000;
  const systemMs = (end.generatorCpu.system - start.generatorCpu.system) / 1000;
  const loopMs = (nanoseconds: number): number => pastTick(nanoseconds / 1e6);
  return {
    ...counts,
    ...samples,
    windowPayments: payments,
    generatorLoopDelay: { p50Ms: loopMs(generatorLoop.percentile(50)), p99Ms: loopMs(generatorLoop.percentile(99)), maxMs: loopMs(generatorLoop.max) },
    // prom-client resets its event-loop figures at each scrape: the end scrape's are the window's.
    serverLoopDelay: end.scrape?.loopDelay,
    walFsyncP50Ms: start.scrape && end.scrape ? bucketQuantileMs(start.scrape.fsyncBuckets, end.scrape.fsyncBuckets, 0.5) : undefined,
    walFsyncP99Ms: start.scrape && end.scrape ? bucketQuantileMs(start.scrape.fsyncBuckets, end.scrape.fsyncBuckets, 0.99) : undefined,
    generatorCpuMsPerPayment: per(userMs + systemMs),
    generatorUserMsPerPayment: per(userMs),
    generatorSystemMsPerPayment: per(systemMs),
    serverCpuMsPerPayment: {
      servers: per(end.serverCpu.servers - start.serverCpu.servers),
      broker: per(end.serverCpu.broker - start.serverCpu.broker),
      database: per(end.serverCpu.database - start.serverCpu.database),
      ...(end.serverCpu.brokerNodes !== undefined ? { brokerNodes: end.serverCpu.brokerNodes.map((ms, index) => per(ms - (start.serverCpu.brokerNodes?.[index] ?? 0))) } : {}),
    },
    statementsPerPayment: perPayment(start.scrape?.statements, end.scrape?.statements, payments),
    writeTransactionsPerPayment: perPayment(start.scrape?.writeTransactions, end.scrape?.writeTransactions, payments),
    sqliteFsyncsPerPayment: perPayment(start.scrape?.walFsyncs, end.scrape?.walFsyncs, payments),
    postgresPerPayment: start.postgres === undefined || end.postgres === undefined
      ? undefined
      : { commits: per(end.postgres.commits - start.postgres.commits), walBytes: per(end.postgres.walBytes - start.postgres.walBytes) },
    postgresLockWaits: start.locks === undefined || end.locks === undefined ? undefined : lockWaitFigures(start.locks, end.locks),
    measuredS: (end.atMs - start.atMs) / 1000,
  };
}
