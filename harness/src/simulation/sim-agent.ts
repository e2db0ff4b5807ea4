/**
 * One register's agent, as its composition root (terminal-agent/src/main.ts) wires it: the real
 * journal (a SQLite file, so a crash and restart reopen it), the real payment runtime around the
 * pure payment machine, a fake MQTT link on the simulated network and a fake receipt printer whose
 * jobs finish when the simulation says so.
 */
import { Journal, PaymentRuntime, type ReceiptData, type ReceiptPrinter, type RequestSender } from "@codepay/terminal-agent/parts";
import { createLogger } from "@codepay/terminal-agent";
import { ServerMessageSchema, parseMessage, upTopic, type RegisterRequest } from "@codepay/contract";
import { SERVER_NODE, type SimNetwork } from "./network.js";
import type { Prng } from "./prng.js";

export interface PrintedReceipt {
  readonly paymentId: string;
  readonly reprint: boolean;
  readonly at: number;
}

/**
 * The receipt printer as the agent's driver behaves (terminal-agent/src/devices/receipt-printer.ts
 * with its durable print queue): one job per paymentId, kept across restarts; an attempt is counted
 * durably before its bytes go out, and any attempt after the first prints REPRINT; print() resolves
 * when the printer reports the receipt printed. The paper is what a shopper takes home.
 */
class SimPrinter {
  /** Durable: the print queue lives in the journal's SQLite file. */
  readonly jobs = new Map<string, { receipt: ReceiptData; attempts: number; printed: boolean }>();
  /** In memory: the driver's waiters and the attempt on the wire. */
  waiters = new Map<string, (() => void)[]>();
  inFlight: string | undefined;
  readonly paper: PrintedReceipt[] = [];

  constructor(private readonly now: () => number) {}

  print(receipt: ReceiptData): Promise<void> {
    if (!this.jobs.has(receipt.paymentId)) this.jobs.set(receipt.paymentId, { receipt, attempts: 0, printed: false });
    const printed = new Promise<void>((resolve) => this.waiters.set(receipt.paymentId, [...(this.waiters.get(receipt.paymentId) ?? []), resolve]));
    this.pump();
    return printed;
  }

  pump(): void {
    if (this.inFlight !== undefined) return;
    const next = [...this.jobs].find(([, job]) => !job.printed);
    if (next === undefined) return;
    next[1].attempts += 1;
    this.inFlight = next[0];
  }

  /** The printer answers GS r: the receipt on the wire is on paper. */
  complete(): boolean {
    const paymentId = this.inFlight;
    if (paymentId === undefined) return false;
    const job = this.jobs.get(paymentId)!;
    this.paper.push({ paymentId, reprint: job.attempts > 1, at: this.now() });
    job.printed = true;
    this.inFlight = undefined;
    for (const resolve of this.waiters.get(paymentId) ?? []) resolve();
    this.waiters.delete(paymentId);
    this.pump();
    return true;
  }

  /** kill -9 of the agent: the attempt on the wire may or may not have reached paper; the job stays queued. */
  crash(reachedPaper: boolean): string | undefined {
    const paymentId = this.inFlight;
    if (paymentId !== undefined && reachedPaper) this.paper.push({ paymentId, reprint: this.jobs.get(paymentId)!.attempts > 1, at: this.now() });
    this.inFlight = undefined;
    this.waiters = new Map();
    return paymentId;
  }
}

/** Thrown out of a journal write to model kill -9 right after a durable commit. */
export class SimulatedCrash extends Error {}

const silent = createLogger("silent");

class SimLink implements RequestSender {
  up = false;

  constructor(
    private readonly agent: SimAgent,
    readonly requestTopic: string,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  publish(request: RegisterRequest): Promise<void> {
    // QoS 1 to the broker: the PUBACK comes back only while the session is up.
    if (!this.up) return Promise.reject(new Error("link down"));
    this.agent.publish(request);
    return Promise.resolve();
  }
}

export interface SimAgentOptions {
  readonly registerId: string;
  readonly storeId: string;
  readonly journalPath: string;
  readonly network: SimNetwork;
  readonly prng: Prng;
  readonly now: () => number;
  /** Planted bugs for proving the harness catches them; never set in real runs. */
  readonly plant?: ReadonlySet<string>;
}

export class SimAgent {
  journal: Journal | undefined;
  runtime: PaymentRuntime | undefined;
  #link: SimLink | undefined;
  #firstUp = true;
  readonly #printer: SimPrinter;
  /** Probability that a journal commit is the last thing this process does (armed during simulated calls). */
  crashAfterCommitProbability = 0;
  #armed = false;
  /** Payments whose print job a crash interrupted (printed or not, the agent cannot know). */
  readonly interruptedPrints = new Set<string>();
  crashes = 0;

  constructor(readonly options: SimAgentOptions) {
    this.#printer = new SimPrinter(options.now);
  }

  /** What came out of this register's printer, in order. Survives crashes (it is paper). */
  get printed(): readonly PrintedReceipt[] {
    return this.#printer.paper;
  }

  get registerId(): string {
    return this.options.registerId;
  }

  get isUp(): boolean {
    return this.runtime !== undefined;
  }

  get linkUp(): boolean {
    return this.#link?.up ?? false;
  }

  get pendingPrints(): number {
    return [...this.#printer.jobs.values()].filter((job) => !job.printed).length;
  }

  /** arm() for the runtime's async calls (createPayment): the crash surfaces as a rejection. */
  async armAsync<T>(work: () => Promise<T>): Promise<{ crashed: true } | { crashed: false; value: T }> {
    this.#armed = true;
    try {
      return { crashed: false, value: await work() };
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
      this.crash();
      return { crashed: true };
    } finally {
      this.#armed = false;
    }
  }

  /**
   * Runs one call into the agent with crash points armed: a journal commit may be followed by
   * kill -9 before the next effect runs. Returns false when the agent crashed.
   */
  arm<T>(work: () => T): { crashed: true } | { crashed: false; value: T } {
    this.#armed = true;
    try {
      return { crashed: false, value: work() };
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
      this.crash();
      return { crashed: true };
    } finally {
      this.#armed = false;
    }
  }

  start(): void {
    const journal = Journal.open(this.options.journalPath);
    const link = new SimLink(this, upTopic(this.options.storeId, this.options.registerId));
    const write = journal.write.bind(journal);
    journal.write = (...args: Parameters<Journal["write"]>): void => {
      write(...args);
      if (this.#armed && this.options.prng.chance(this.crashAfterCommitProbability)) throw new SimulatedCrash("kill -9 after a journal commit");
    };
    const simPrinter = this.#printer;
    const printer = {
      print: (receipt: ReceiptData) => simPrinter.print(receipt),
      kickDrawer: () => Promise.resolve(),
    } as unknown as ReceiptPrinter;
    // A restarted driver finds its durable queue and prints what is pending (REPRINT after an attempt).
    simPrinter.pump();
    const runtime = new PaymentRuntime({
      journal,
      link,
      clock: { now: this.options.now },
      logger: silent,
      printer,
      storeName: "Sim Store",
      registerId: this.options.registerId,
      onScreenChange: () => undefined,
    });
    this.journal = journal;
    this.#link = link;
    this.runtime = runtime;
    this.#firstUp = true;
    // main.ts: devices start, then the receipts a crash left unconfirmed go to the printer.
    if (!this.options.plant?.has("no-reprint-after-restart")) runtime.printMissingReceipts();
  }

  /** kill -9: the runtime's memory is gone; the journal file stays; a print in progress may or may not be on paper. */
  crash(): void {
    const interrupted = this.#printer.crash(this.options.prng.chance(0.5));
    if (interrupted !== undefined) this.interruptedPrints.add(interrupted);
    this.journal?.close();
    this.journal = undefined;
    this.runtime = undefined;
    this.#link = undefined;
    this.crashes += 1;
    this.options.network.dropAllTo(this.registerId);
  }

  /** The MQTT session came up or went down (server crash, partition, heal). Returns true when it came up. */
  setLinkUp(up: boolean): boolean {
    const link = this.#link;
    const runtime = this.runtime;
    if (link === undefined || runtime === undefined || link.up === up) return false;
    link.up = up;
    if (!up) return false;
    // main.ts: on "up", resend every unanswered request; after a start, ask where in-flight payments stand.
    const firstUp = this.#firstUp;
    this.#firstUp = false;
    const outcome = this.arm(() => {
      runtime.resendUnanswered(true);
      if (firstUp) runtime.askStatusOfInFlightPayments();
    });
    return !outcome.crashed;
  }

  publish(request: RegisterRequest): void {
    this.options.network.send(this.registerId, SERVER_NODE, JSON.stringify(request), this.options.now());
  }

  /** A message on the down topic: parsed as the link parses it, handled before the PUBACK. */
  receive(payload: string): void {
    const runtime = this.runtime;
    if (runtime === undefined) return;
    const parsed = parseMessage(ServerMessageSchema, payload);
    if (!parsed.ok) throw new Error(`the server sent a malformed message: ${parsed.message}`);
    this.arm(() => runtime.handleServerMessage(parsed.value));
  }

  /** The outbox timer (outboxRetryIntervalMs). */
  tick(): void {
    const runtime = this.runtime;
    if (runtime !== undefined) this.arm(() => runtime.resendUnanswered());
  }

  /** The printer finishes its oldest job (the bytes are on paper, then the driver resolves). */
  completePrint(): boolean {
    if (this.runtime === undefined) return false;
    return this.#printer.complete();
  }

  close(): void {
    this.journal?.close();
    this.journal = undefined;
    this.runtime = undefined;
  }
}
