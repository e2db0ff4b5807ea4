/**
 * One deterministic run (TigerBeetle's VOPR, in miniature): the server's settlement path, two
 * registers' agents and three phones in one process, on a simulated clock, over a network that
 * drops, duplicates, delays, reorders and partitions, with crashes and restarts of either side at
 * any step. Every random choice comes from the seed, so a failing seed replays exactly.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore, enrollRegister, enrollUser, topUp } from "@codepay/sync-server";
import { serverLimits } from "@codepay/sync-server/parts";
import { agentLimits } from "@codepay/terminal-agent/parts";
import { withSeededUuids } from "./deterministic-ids.js";
import { checkEventually, checkLedger, checkRegisters, openAuditor, type RegisterView } from "./invariants.js";
import { CALM, SERVER_NODE, SimNetwork, type NetworkFaults } from "./network.js";
import { PhoneModel, short, type PhoneFaults } from "./phone-model.js";
import { Prng } from "./prng.js";
import { SimAgent } from "./sim-agent.js";
import { SimServer, settle } from "./sim-server.js";

export const STORE_ID = "sim-store";
export const REGISTER_IDS = ["reg-1", "reg-2"] as const;
/** Two phones with money, one that runs short (INSUFFICIENT_FUNDS). */
export const PHONES = [
  { userId: "rich-1", phoneId: "+810000000101", topUpMinor: 10_000_000 },
  { userId: "rich-2", phoneId: "+810000000102", topUpMinor: 10_000_000 },
  { userId: "poor-1", phoneId: "+810000000103", topUpMinor: 3_000 },
] as const;
const CODE_TTL_MS = 10_000;
const STEP_MS_MAX = 800;
const HEAL_STEP_MS = 1_000;
const HEAL_DURATION_MS = CODE_TTL_MS + 2 * serverLimits.resultResendIntervalMs + 2 * agentLimits.ackTimeoutMs;
const TRACE_LINES_MAX = 20_000;

export interface RunOptions {
  readonly seed: number;
  readonly steps?: number;
  /** Keep the trace even when the run passes. */
  readonly keepTrace?: boolean;
  /** Planted bugs (tests prove the harness catches them). */
  readonly plant?: readonly string[];
}

export interface RunResult {
  readonly seed: number;
  readonly steps: number;
  readonly violations: readonly string[];
  readonly trace: readonly string[];
  readonly stats: {
    readonly payments: number;
    readonly approved: number;
    readonly messages: number;
    readonly dropped: number;
    readonly duplicated: number;
    readonly serverCrashes: number;
    readonly agentCrashes: number;
    readonly receipts: number;
  };
}

let templateDir: Promise<string> | undefined;

function scratchRoot(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

/** Store, registers, phones and money, made once per process and copied per run (scrypt is slow). */
function template(): Promise<string> {
  templateDir ??= (async () => {
    const dataDir = mkdtempSync(join(scratchRoot(), "codepay-sim-template-"));
    await createStore({ dataDir, id: STORE_ID, name: "Sim Store", currency: "JPY", now: 0 });
    for (const registerId of REGISTER_IDS) await enrollRegister({ dataDir, storeId: STORE_ID, registerId, name: registerId, now: 0 });
    for (const phone of PHONES) {
      await enrollUser({ dataDir, userId: phone.userId, name: phone.userId, phoneId: phone.phoneId, now: 0 });
      await topUp({ dataDir, userId: phone.userId, amountMinor: phone.topUpMinor, currency: "JPY", requestId: `seed-${phone.userId}`, now: 0 });
    }
    process.once("exit", () => rmSync(dataDir, { recursive: true, force: true }));
    return dataDir;
  })();
  return templateDir;
}

interface Profile {
  readonly network: NetworkFaults;
  readonly phone: PhoneFaults;
  readonly crashWeight: number;
  readonly partitionWeight: number;
  /** Probability that a journal commit is followed by kill -9 of the agent. */
  readonly crashAfterCommitProbability: number;
}

/** Each seed draws its own weather: some runs are calm, some lose a third of everything. */
function drawProfile(prng: Prng): Profile {
  const harsh = prng.chance(0.5);
  return {
    network: {
      dropProbability: harsh ? prng.next() * 0.3 : prng.next() * 0.05,
      duplicateProbability: prng.next() * (harsh ? 0.2 : 0.05),
      delayMsMax: prng.pick([10, 200, 1_000, 4_000]),
    },
    phone: { lostRequestProbability: prng.next() * 0.2, lostReplyProbability: prng.next() * 0.3, abandonProbability: 0.03 },
    crashWeight: harsh ? 4 : 1,
    partitionWeight: harsh ? 4 : 1,
    crashAfterCommitProbability: harsh ? 0.04 : 0.005,
  };
}

class World {
  readonly prng: Prng;
  readonly idPrng: Prng;
  now = 1_700_000_000_000;
  readonly network: SimNetwork;
  readonly server: SimServer;
  readonly agents: SimAgent[];
  readonly phones: PhoneModel[];
  readonly trace: string[] = [];
  readonly profile: Profile;
  readonly createdPayments = new Map<string, { registerId: string; amountMinor: number }>();
  #lastAgentTickAt = 0;
  auditors: { server: ReturnType<typeof openAuditor>; registers: RegisterView[] } | undefined;

  constructor(
    readonly seed: number,
    readonly dataDir: string,
    plant: ReadonlySet<string>,
  ) {
    this.prng = new Prng(seed);
    this.idPrng = new Prng(seed ^ 0x5eed_1d5);
    this.profile = drawProfile(this.prng);
    this.network = new SimNetwork(this.prng, this.profile.network);
    const now = (): number => this.now;
    this.server = new SimServer({ dataDir, storeId: STORE_ID, network: this.network, prng: this.prng, now, codeTtlMs: CODE_TTL_MS });
    this.agents = REGISTER_IDS.map(
      (registerId) => new SimAgent({ registerId, storeId: STORE_ID, journalPath: join(dataDir, `${registerId}.sqlite`), network: this.network, prng: this.prng, now, plant }),
    );
    for (const agent of this.agents) agent.crashAfterCommitProbability = this.profile.crashAfterCommitProbability;
    this.phones = PHONES.map((phone) => new PhoneModel(phone.phoneId, this.prng, () => this.newId()));
  }

  newId(): string {
    return `sim${this.idPrng.nextUint32().toString(36)}${this.idPrng.nextUint32().toString(36)}`;
  }

  log(line: string): void {
    if (this.trace.length < TRACE_LINES_MAX) this.trace.push(`t+${this.now - 1_700_000_000_000}ms ${line}`);
  }

  /** Brings each register's MQTT session up or down to match who is running and what is cut. */
  async syncLinks(): Promise<void> {
    for (const agent of this.agents) {
      const up = this.server.isUp && agent.isUp && !this.network.isCut(agent.registerId);
      if (agent.linkUp === up) continue;
      if (!up) {
        agent.setLinkUp(false);
        // The broker may or may not still hold the session's queued messages.
        if (this.prng.chance(0.5)) this.network.dropAllOf(agent.registerId);
        this.log(`${agent.registerId} link down`);
        continue;
      }
      if (agent.setLinkUp(true)) {
        this.log(`${agent.registerId} link up: resend outbox, ask status of in-flight payments`);
        await this.server.registerOnline(agent.registerId);
      }
    }
    await settle();
  }

  async deliverDue(): Promise<void> {
    for (let round = 0; round < 50; round += 1) {
      const due = this.network.takeDue(this.now);
      if (due.length === 0) return;
      for (const envelope of due) {
        this.log(`deliver ${envelope.from}->${envelope.to} ${describeMessage(envelope.payload)}`);
        if (envelope.to === SERVER_NODE) await this.server.receive(envelope.from, envelope.payload);
        else this.agents.find((agent) => agent.registerId === envelope.to)?.receive(envelope.payload);
        await settle();
      }
    }
  }

  async timers(): Promise<void> {
    if (this.now - this.#lastAgentTickAt >= agentLimits.outboxRetryIntervalMs) {
      this.#lastAgentTickAt = this.now;
      for (const agent of this.agents) agent.tick();
    }
    await this.server.tick();
    await settle();
  }
}

function describeMessage(payload: string): string {
  try {
    const message = JSON.parse(payload) as Record<string, unknown>;
    const parts = [String(message["type"])];
    if (typeof message["paymentId"] === "string") parts.push(`pay=${short(message["paymentId"])}`);
    if (typeof message["state"] === "string") parts.push(String(message["state"]));
    if (typeof message["requestId"] === "string") parts.push(`req=${short(message["requestId"])}`);
    if (typeof message["inReplyTo"] === "string") parts.push(`re=${short(message["inReplyTo"])}`);
    const error = message["error"] as { code?: string } | undefined;
    if (error?.code !== undefined) parts.push(error.code);
    return parts.join(" ");
  } catch {
    return "unparseable";
  }
}

type Action = "create" | "retryCreate" | "cancel" | "phone" | "printerDone" | "crashServer" | "crashAgent" | "partition" | "heal" | "idle";

async function act(world: World, action: Action): Promise<void> {
  const { prng } = world;
  const agent = prng.pick(world.agents);
  switch (action) {
    case "create": {
      if (agent.runtime === undefined) return world.log(`${agent.registerId} create: agent down`);
      const paymentId = world.newId();
      const amountMinor = prng.between(1, 50) * 100;
      const runtime = agent.runtime;
      const outcome = await agent.armAsync(() => runtime.createPayment({ paymentId, amount: { minor: amountMinor, currency: "JPY" }, lines: [] }));
      if (outcome.crashed) {
        // The POS saw no answer; the payment may be journaled (and sent after the restart).
        world.createdPayments.set(paymentId, { registerId: agent.registerId, amountMinor });
        return world.log(`${agent.registerId} cashier creates ${short(paymentId)} JPY ${amountMinor}: AGENT CRASH after a journal commit`);
      }
      const result = outcome.value;
      if (result.ok) world.createdPayments.set(paymentId, { registerId: agent.registerId, amountMinor });
      return world.log(`${agent.registerId} cashier creates ${short(paymentId)} JPY ${amountMinor}: ${result.ok ? result.payment.state : result.refusal.code}`);
    }
    case "retryCreate": {
      const mine = [...world.createdPayments].filter(([, payment]) => payment.registerId === agent.registerId);
      if (agent.runtime === undefined || mine.length === 0) return;
      const [paymentId, payment] = prng.pick(mine);
      const runtime = agent.runtime;
      const outcome = await agent.armAsync(() => runtime.createPayment({ paymentId, amount: { minor: payment.amountMinor, currency: "JPY" }, lines: [] }));
      if (outcome.crashed) return world.log(`${agent.registerId} POS retries create ${short(paymentId)}: AGENT CRASH after a journal commit`);
      const result = outcome.value;
      return world.log(`${agent.registerId} POS retries create ${short(paymentId)}: ${result.ok ? result.payment.state : result.refusal.code}`);
    }
    case "cancel": {
      const mine = [...world.createdPayments].filter(([, payment]) => payment.registerId === agent.registerId);
      if (agent.runtime === undefined || mine.length === 0) return;
      const [paymentId] = prng.pick(mine);
      const runtime = agent.runtime;
      const outcome = agent.arm(() => runtime.cancelPayment(paymentId));
      if (outcome.crashed) return world.log(`${agent.registerId} cashier cancels ${short(paymentId)}: AGENT CRASH after a journal commit`);
      const result = outcome.value;
      return world.log(`${agent.registerId} cashier cancels ${short(paymentId)}: ${result.ok ? result.payment.state : result.refusal.code}`);
    }
    case "phone": {
      const phone = prng.pick(world.phones);
      if (!phone.busy) {
        const shown = agent.runtime?.currentPayment;
        if (prng.chance(0.05)) phone.begin(String(prng.between(1000, 9999)));
        else if (shown?.state === "issued" && shown.code !== undefined) phone.begin(shown.code);
        else return;
      }
      return world.log(await phone.act(world.server.context, world.profile.phone));
    }
    case "printerDone":
      if (agent.completePrint()) world.log(`${agent.registerId} printer finishes a receipt`);
      return;
    case "crashServer":
      if (!world.server.isUp) return;
      await world.server.crash();
      return world.log(`SERVER CRASH (kill -9)`);
    case "crashAgent": {
      if (!agent.isUp) return;
      const pending = agent.pendingPrints;
      agent.crash();
      return world.log(`${agent.registerId} AGENT CRASH (kill -9) with ${pending} print jobs in progress`);
    }
    case "partition":
      world.network.partitioned.add(agent.registerId);
      return world.log(`${agent.registerId} line cut`);
    case "heal":
      if (world.network.partitioned.delete(agent.registerId)) world.log(`${agent.registerId} line back`);
      return;
    case "idle":
      return;
  }
}

async function restartSome(world: World, probability: number): Promise<void> {
  if (!world.server.isUp && world.prng.chance(probability)) {
    await world.server.start();
    world.log("server restarts");
  }
  for (const agent of world.agents) {
    if (!agent.isUp && world.prng.chance(probability)) {
      agent.start();
      world.log(`${agent.registerId} agent restarts (journal replayed, missing receipts printed)`);
    }
  }
}

function check(world: World, eventually: boolean): string[] {
  const auditors = world.auditors;
  if (auditors === undefined) return [];
  const violations = [...checkLedger(auditors.server), ...checkRegisters(auditors.server, auditors.registers)];
  if (eventually) violations.push(...checkEventually(auditors.server, auditors.registers));
  return violations;
}

async function step(world: World, action: Action): Promise<void> {
  await act(world, action);
  await restartSome(world, 0.3);
  await world.syncLinks();
  world.now += world.prng.between(1, STEP_MS_MAX);
  await world.timers();
  await world.deliverDue();
}

export async function runSimulation(options: RunOptions): Promise<RunResult> {
  const steps = options.steps ?? 200;
  const templateData = await template();
  const dataDir = mkdtempSync(join(scratchRoot(), `codepay-sim-${options.seed}-`));
  mkdirSync(dataDir, { recursive: true });
  copyFileSync(join(templateData, "codepay.sqlite"), join(dataDir, "codepay.sqlite"));
  const world = new World(options.seed, dataDir, new Set(options.plant ?? []));
  const violations: string[] = [];
  let stepsRun = 0;
  try {
    await withSeededUuids(new Prng(options.seed ^ 0x1d), async () => {
      await world.server.start();
      for (const agent of world.agents) agent.start();
      world.auditors = {
        server: openAuditor(join(dataDir, "codepay.sqlite")),
        registers: world.agents.map((agent) => ({
          registerId: agent.registerId,
          journal: openAuditor(agent.options.journalPath),
          printed: agent.printed,
          interruptedPrints: agent.interruptedPrints,
        })),
      };
      await world.syncLinks();
      const weights: Record<Action, number> = {
        create: 10,
        retryCreate: 1,
        cancel: 2,
        phone: 30,
        printerDone: 8,
        crashServer: world.profile.crashWeight * 0.5,
        crashAgent: world.profile.crashWeight,
        partition: world.profile.partitionWeight,
        heal: world.profile.partitionWeight * 2,
        idle: 5,
      };
      for (; stepsRun < steps && violations.length === 0; stepsRun += 1) {
        await step(world, world.prng.weighted(weights));
        violations.push(...check(world, false).map((v) => `step ${stepsRun}: ${v}`));
      }
      if (violations.length > 0) return;
      // Heal: no more faults or crashes; everything restarts; time runs past every expiry and resend.
      world.log("--- network heals, every node restarts, no more faults ---");
      world.network.faults = CALM;
      world.network.partitioned.clear();
      await restartSome(world, 1);
      for (const agent of world.agents) agent.crashAfterCommitProbability = 0;
      const healUntil = world.now + HEAL_DURATION_MS;
      while (world.now < healUntil && violations.length === 0) {
        for (const agent of world.agents) while (agent.completePrint()) world.log(`${agent.registerId} printer finishes a receipt`);
        await settle();
        await world.syncLinks();
        world.now += HEAL_STEP_MS;
        await world.timers();
        await world.deliverDue();
        violations.push(...check(world, false).map((v) => `heal: ${v}`));
      }
      if (violations.length === 0) violations.push(...check(world, true).map((v) => `after heal: ${v}`));
    });
    const auditors = world.auditors;
    const approved = auditors ? (auditors.server.prepare(`SELECT COUNT(*) AS n FROM payments WHERE state = 'approved'`).get() as { n: number }).n : 0;
    return {
      seed: options.seed,
      steps: stepsRun,
      violations,
      trace: violations.length > 0 || options.keepTrace ? world.trace : [],
      stats: {
        payments: world.createdPayments.size,
        approved,
        messages: world.network.sent,
        dropped: world.network.dropped,
        duplicated: world.network.duplicated,
        serverCrashes: world.server.crashes,
        agentCrashes: world.agents.reduce((sum, agent) => sum + agent.crashes, 0),
        receipts: world.agents.reduce((sum, agent) => sum + agent.printed.length, 0),
      },
    };
  } finally {
    world.auditors?.server.close();
    for (const register of world.auditors?.registers ?? []) register.journal.close();
    for (const agent of world.agents) agent.close();
    if (world.server.isUp) await world.server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
