/**
 * The whole system in one test process: the server (aedes on TCP loopback, SQLite in a temp dir,
 * shopper API and carrier gateway over real HTTP), the demo data, the simulated devices on
 * pseudo-terminals or loopback TCP, and the agent with its cashier API. Shared by the end-to-end and
 * page tests so they start the same system the same way.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoSeed, silentLogger, startServer, type DemoSeedOutput, type RunningServer } from "@codepay/sync-server";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { codeOnDisplay, startDevices, type SimDevices } from "@codepay/hardware-sim";
import { pollUntil } from "./poll-until.js";

export interface CashierPaymentView {
  paymentId: string;
  state: string;
  amount: { minor: number; currency: string };
  code?: string;
  reason?: string;
  receiptPrinted: boolean;
  refundedMinor?: number;
  refunds?: { refundId: string; amountMinor: number; state: string; note?: string }[];
  voidNote?: string;
}

export interface CashierReply {
  status: number;
  body: { payment?: CashierPaymentView; error?: { code: string } };
}

export interface InProcessSystem {
  readonly dataDir: string;
  readonly server: RunningServer;
  readonly seed: DemoSeedOutput;
  readonly devices: SimDevices;
  readonly agent: RunningAgent;
  /** GET the cashier API path, or POST `body` (JSON) to it. */
  cashier(path: string, body?: unknown): Promise<CashierReply>;
  /** POST /v1/payments; resolves with the paymentId and the code read off the decoded pole display. */
  startPayment(amountMinor: number, waitMs?: number, lines?: readonly { text: string; amountMinor?: number }[]): Promise<{ paymentId: string; code: string }>;
  payment(paymentId: string): Promise<CashierPaymentView>;
  stop(): Promise<void>;
}

export interface InProcessSystemOptions {
  readonly transport: "pty" | "tcp";
  readonly codeTtlMs?: number;
  /** How long to wait for the agent's line to come up. */
  readonly waitMs?: number;
  /** Shopper-facing language (default en) and, for ja, how the printer prints it (default katakana). */
  readonly language?: "en" | "ja";
  readonly printerJapanese?: "katakana" | "shift_jis";
  readonly storeName?: string;
  /** The server's `--code-digits` (the fewest random digits; default 6). */
  readonly codeRandomDigits?: number;
}

export async function startInProcessSystem(options: InProcessSystemOptions): Promise<InProcessSystem> {
  const dataDir = await mkdtemp(join(tmpdir(), "codepay-system-"));
  const server = await startServer({
    dataDir,
    ports: { mqtt: 0, shopperApi: 0, gateway: 0, operator: 0 },
    ...(options.codeTtlMs !== undefined ? { codeTtlMs: options.codeTtlMs } : {}),
    ...(options.codeRandomDigits !== undefined ? { codeRandomDigits: options.codeRandomDigits } : {}),
    sweepIntervalMs: 100,
    logger: silentLogger(),
  });
  const seed = await demoSeed({ dataDir });
  const devices = await startDevices(options.transport === "pty" ? { transport: "pty", directory: join(dataDir, "pty") } : { transport: "tcp" });
  const config = parseConfig({
    server: { url: server.mqttUrl },
    register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
    currency: "JPY",
    language: options.language ?? "en",
    storeName: options.storeName ?? "Demo Store",
    journalPath: join(dataDir, "agent-journal.sqlite"),
    cashierApi: { host: "127.0.0.1", port: 0 },
    devices: {
      display: { path: devices.paths.display, baudRate: 9600, model: "epson" },
      printer: { path: devices.paths.printer, baudRate: 19200, model: "epson", drawer: true, japanese: options.printerJapanese ?? "katakana" },
      cardReader: { path: devices.paths.cardReader, baudRate: 9600 },
    },
  });
  const agent = await startAgent(config, { logger: silentLogger() });
  const cashier = async (path: string, body?: unknown): Promise<CashierReply> => {
    const response = await fetch(`${agent.cashierApiUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as CashierReply["body"] };
  };
  // The agent is ready before its line to the server is: it refuses payments (503) until the link is up.
  await pollUntil(
    "the agent's MQTT link up",
    async () => ((await cashier("/v1/health")).body as { mqtt?: string }).mqtt === "up" ? true : undefined,
    options.waitMs,
  );
  return {
    dataDir,
    server,
    seed,
    devices,
    agent,
    cashier,
    async startPayment(amountMinor, waitMs, lines) {
      const created = await cashier("/v1/payments", { amountMinor, ...(lines !== undefined ? { lines } : {}) });
      if (created.status !== 201) throw new Error(`payment not created: HTTP ${created.status} ${JSON.stringify(created.body)}`);
      const paymentId = created.body.payment!.paymentId;
      const code = await pollUntil("the code on the pole display", () => codeOnDisplay(devices.display.snapshot().lines[1] ?? ""), waitMs);
      return { paymentId, code };
    },
    async payment(paymentId) {
      return (await cashier(`/v1/payments/${paymentId}`)).body.payment!;
    },
    async stop() {
      await agent.stop();
      await devices.stop();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
