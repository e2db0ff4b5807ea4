/**
 * Card data never rests or travels in clear (SECURITY.md, "card data"): after a full card run — the
 * Visa enrolled with `admin card enroll`, swiped and paid; the unenrolled Mastercard swiped and
 * declined — the test PANs appear nowhere: not in any file under the server's data directory (SQLite
 * database, WAL, keys) nor the agent's journal, not in the server's or agent's logs captured at trace
 * level, not in the MQTT bytes between agent and broker (both directions, through a recording proxy),
 * not on the receipts or the pole display.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, connect, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { demoSeed, enrollCard, startServer, type RunningServer } from "@codepay/sync-server";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { requireToolOrSkip, startDevices, type SimDevices } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";

const hasSocat = requireToolOrSkip("socat", "card data scan (devices over pseudo-terminals)");
const PANS = ["4111111111111111", "5555555555554444"]; // the simulator's "visa" and "mastercard"

/** Every PAN found in a buffer, as ASCII and as UTF-16LE (SQLite can store either). */
function pansIn(bytes: Buffer): string[] {
  return PANS.filter((pan) => bytes.includes(Buffer.from(pan, "ascii")) || bytes.includes(Buffer.from(pan, "utf16le")));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function capture(): { logger: Logger; text: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { logger: pino({ level: "trace" }, sink), text: () => Buffer.concat(chunks) };
}

describe.skipIf(!hasSocat)("no PAN anywhere after a card run", () => {
  let server: RunningServer;
  let devices: SimDevices;
  let agent: RunningAgent;
  let dataDir: string;
  let proxy: Server;
  const serverLog = capture();
  const agentLog = capture();
  const mqttBytes: Buffer[] = [];

  async function cashier(path: string, body?: unknown): Promise<{ status: number; body: { payment?: { paymentId: string; state: string; receiptPrinted?: boolean } } }> {
    const response = await fetch(`${agent.cashierApiUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as { payment?: { paymentId: string; state: string; receiptPrinted?: boolean } } };
  }

  async function cardPayment(amountMinor: number, card: "visa" | "mastercard", until: (state: string, printed: boolean) => boolean): Promise<void> {
    const created = await cashier("/v1/payments", { amountMinor, tender: "card" });
    expect(created.status).toBe(201);
    const paymentId = created.body.payment!.paymentId;
    await pollUntil("PLEASE SWIPE CARD", () => (devices.display.snapshot().lines[1]?.includes("PLEASE SWIPE CARD") ? true : undefined));
    devices.cardReader.swipe(card);
    await pollUntil(`the ${card} payment settled`, async () => {
      const view = (await cashier(`/v1/payments/${paymentId}`)).body.payment!;
      return until(view.state, view.receiptPrinted === true) ? true : undefined;
    });
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "codepay-card-scan-"));
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, sweepIntervalMs: 100, logger: serverLog.logger });
    const seed = await demoSeed({ dataDir });
    await enrollCard({ dataDir, userId: seed.userId, pan: PANS[0]! });
    const cardKey = (await readFile(join(dataDir, "card-key"))).toString("hex");
    // A recording TCP proxy between the agent and the broker: every MQTT byte, both ways.
    const broker = new URL(server.mqttUrl);
    proxy = createServer((inbound) => {
      const outbound = connect(Number(broker.port), broker.hostname);
      inbound.on("data", (chunk: Buffer) => mqttBytes.push(Buffer.from(chunk)));
      outbound.on("data", (chunk: Buffer) => mqttBytes.push(Buffer.from(chunk)));
      inbound.pipe(outbound).pipe(inbound);
      inbound.on("error", () => outbound.destroy());
      outbound.on("error", () => inbound.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    devices = await startDevices({ transport: "pty", directory: join(dataDir, "pty") });
    const config = parseConfig({
      server: { url: `mqtt://127.0.0.1:${(proxy.address() as AddressInfo).port}` },
      register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
      currency: "JPY",
      storeName: "Demo Store",
      journalPath: join(dataDir, "agent", "agent-journal.sqlite"),
      cashierApi: { host: "127.0.0.1", port: 0 },
      cardKey,
      devices: {
        display: { path: devices.paths.display, baudRate: 9600, model: "epson" },
        printer: { path: devices.paths.printer, baudRate: 19200, model: "epson", drawer: true },
        cardReader: { path: devices.paths.cardReader, baudRate: 9600 },
      },
    });
    agent = await startAgent(config, { logger: agentLog.logger });
    await pollUntil("the agent's MQTT link up", async () => (((await cashier("/v1/health")).body as { mqtt?: string }).mqtt === "up" ? true : undefined));
  });

  afterAll(async () => {
    await agent?.stop();
    await devices?.stop();
    await server?.stop();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("a paid Visa, a declined Mastercard and a bad swipe leave no PAN in files, logs, MQTT traffic, receipts or the display", async () => {
    await cardPayment(1500, "visa", (state, printed) => state === "approved" && printed);
    await cardPayment(700, "mastercard", (state) => state === "declined");
    devices.cardReader.swipe("bad");
    await new Promise((resolve) => setTimeout(resolve, 300));

    // The scan can see: the agent really logged and traffic really flowed, and the card's last 4 did travel.
    expect(agentLog.text().length).toBeGreaterThan(0);
    expect(serverLog.text().length).toBeGreaterThan(0);
    expect(Buffer.concat(mqttBytes).includes(Buffer.from('"payment.card"'))).toBe(true);

    // The scanner itself finds a PAN when one is there (ASCII or UTF-16).
    expect(pansIn(Buffer.from(`x${PANS[0]!}y`))).toEqual([PANS[0]]);
    expect(pansIn(Buffer.from(PANS[1]!, "utf16le"))).toEqual([PANS[1]]);

    const files = await filesUnder(dataDir);
    expect(files.some((f) => f.endsWith("agent-journal.sqlite"))).toBe(true);
    const hits: string[] = [];
    for (const file of files) for (const pan of pansIn(await readFile(file))) hits.push(`${file}: ${pan.slice(-4)}`);
    for (const pan of pansIn(serverLog.text())) hits.push(`server log: ${pan.slice(-4)}`);
    for (const pan of pansIn(agentLog.text())) hits.push(`agent log: ${pan.slice(-4)}`);
    for (const pan of pansIn(Buffer.concat(mqttBytes))) hits.push(`MQTT traffic: ${pan.slice(-4)}`);
    for (const receipt of devices.printer.snapshot().receipts) for (const pan of pansIn(Buffer.from(receipt.text))) hits.push(`receipt: ${pan.slice(-4)}`);
    for (const pan of pansIn(Buffer.from(devices.display.snapshot().lines.join("\n")))) hits.push(`display: ${pan.slice(-4)}`);
    expect(hits).toEqual([]);
  });
});
