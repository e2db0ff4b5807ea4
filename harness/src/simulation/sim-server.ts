/**
 * The real settlement path of the sync-server in one process: its SQLite database (a file, so a
 * crash and restart reopen it as a real restart would), the register request router, the result
 * outbox delivery and the expiry sweep, on the simulated clock. Only the broker is replaced: a fake
 * RegisterLine hands requests in and puts replies on the simulated network.
 */
import {
  DEFAULT_GUESS_POLICY,
  RequestRouter,
  ResultDelivery,
  createBatchEngine,
  openDatabase,
  serverLimits,
  sweepExpiredPayments,
  type BatchEngine,
  type Db,
  type OnlineListener,
  type RegisterAddress,
  type RegisterLine,
  type RequestListener,
  type SettlementContext,
} from "@codepay/sync-server/parts";
import { silentLogger } from "@codepay/sync-server";
import type { ServerMessage } from "@codepay/contract";
import { SERVER_NODE, type SimNetwork } from "./network.js";
import type { Prng } from "./prng.js";

class SimRegisterLine implements RegisterLine {
  readonly requestListeners: RequestListener[] = [];
  readonly onlineListeners: OnlineListener[] = [];

  constructor(
    private readonly network: SimNetwork,
    private readonly now: () => number,
  ) {}

  onRequest(listener: RequestListener): void {
    this.requestListeners.push(listener);
  }

  onRegisterOnline(listener: OnlineListener): void {
    this.onlineListeners.push(listener);
  }

  /** The simulated agents publish no presence. */
  onPresence(): void {}

  publishToRegister(to: RegisterAddress, message: ServerMessage): Promise<void> {
    this.network.send(SERVER_NODE, to.registerId, JSON.stringify(message), this.now());
    return Promise.resolve();
  }
}

export interface SimServerOptions {
  readonly dataDir: string;
  readonly storeId: string;
  readonly network: SimNetwork;
  readonly prng: Prng;
  readonly now: () => number;
  readonly codeTtlMs: number;
}

export class SimServer {
  #db: Db | undefined;
  #line: SimRegisterLine | undefined;
  #router: RequestRouter | undefined;
  #delivery: ResultDelivery | undefined;
  #engine: BatchEngine | undefined;
  context: SettlementContext | undefined;
  #lastSweepAt = 0;
  crashes = 0;

  constructor(private readonly options: SimServerOptions) {}

  get isUp(): boolean {
    return this.#db !== undefined;
  }

  async start(): Promise<void> {
    const { network, now, prng } = this.options;
    const db = await openDatabase(this.options.dataDir);
    const line = new SimRegisterLine(network, now);
    const logger = silentLogger();
    const delivery = new ResultDelivery(db, now, logger, (to, message) => line.publishToRegister(to, message));
    // The server's hot path as serve runs it on SQLite: the batched engine (CODEPAY_ENGINE=interactive: Kysely transactions).
    const engine = createBatchEngine(db, logger);
    const context: SettlementContext = {
      db,
      ...(engine !== undefined ? { engine } : {}),
      clock: now,
      logger,
      codeTtlMs: this.options.codeTtlMs,
      codeRandomDigits: 3,
      allocationAttemptsMax: serverLimits.allocationAttemptsMax,
      randomDigit: () => prng.int(10),
      deliverResults: (rows) => delivery.deliver(rows),
      notifyRegister: (to, message) => void line.publishToRegister(to, message),
      guessPolicy: DEFAULT_GUESS_POLICY,
      pinThresholdMinor: undefined,
      sandbox: false,
    };
    const router = new RequestRouter(context, line);
    router.start();
    line.onRegisterOnline((register) => delivery.resendToRegister(register.registerId));
    this.#db = db;
    this.#line = line;
    this.#router = router;
    this.#delivery = delivery;
    this.#engine = engine;
    this.context = context;
  }

  /** kill -9: in-memory work is gone; what committed is in the file. */
  async crash(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#line = undefined;
    this.#router = undefined;
    this.#delivery = undefined;
    this.#engine = undefined;
    this.context = undefined;
    this.crashes += 1;
    this.options.network.dropAllTo(SERVER_NODE);
    await db?.destroy();
  }

  /** A request arrives on a register's up topic; runs to completion (the router queues per register). */
  async receive(registerId: string, payload: string): Promise<void> {
    const line = this.#line;
    const router = this.#router;
    if (line === undefined || router === undefined) return;
    for (const listener of line.requestListeners) listener({ storeId: this.options.storeId, registerId }, Buffer.from(payload, "utf8"));
    await router.drain();
  }

  /** The register (re)subscribed: the server resends what it has not acknowledged. */
  async registerOnline(registerId: string): Promise<void> {
    for (const listener of this.#line?.onlineListeners ?? []) listener({ storeId: this.options.storeId, registerId });
    await settle();
  }

  /** The wall-clock timer of server.ts: expiry sweep, then resend of due results. */
  async tick(): Promise<void> {
    const context = this.context;
    const delivery = this.#delivery;
    if (context === undefined || delivery === undefined) return;
    const now = context.clock();
    if (now - this.#lastSweepAt < serverLimits.expirySweepIntervalMs) return;
    this.#lastSweepAt = now;
    await sweepExpiredPayments(context);
    await delivery.resendDue();
    await settle();
  }

  async stop(): Promise<void> {
    await this.#router?.drain();
    await this.#engine?.drain();
    await settle();
    await this.#db?.destroy();
    this.#db = undefined;
  }
}

/** Lets promise chains started by fire-and-forget calls (result delivery) run to their end. */
export async function settle(): Promise<void> {
  // SQLite is synchronous under Kysely, so every pending chain finishes in microtasks: one macrotask turn drains them.
  await new Promise<void>((resolve) => setImmediate(resolve));
}
