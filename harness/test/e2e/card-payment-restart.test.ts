/**
 * A card payment waiting for its swipe survives the agent being killed (SIGKILL, no orderly stop):
 * the journal holds it as `awaiting-card`, the restarted agent shows the swipe prompt again, and the
 * swipe made after the restart pays it exactly once. Real parts: the server in process with the demo
 * user's Visa enrolled, the agent as its own process (the built binary) with a journal file, the
 * simulated devices on loopback TCP (serial device servers), so this runs without socat.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { balances, demoSeed, enrollCard, listPayments, silentLogger, startServer, type RunningServer } from "@codepay/sync-server";
import { startDevices, type SimDevices } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";

const root = resolve(import.meta.dirname, "../../..");
const VISA_PAN = "4111111111111111"; // the simulator's "visa" test card

interface PaymentView {
  paymentId: string;
  state: string;
  cardLast4?: string;
  receiptPrinted: boolean;
}

describe("a payment awaiting a card swipe across an agent crash", () => {
  let dataDir: string;
  let server: RunningServer;
  let devices: SimDevices;
  let configPath: string;
  let agent: { child: ChildProcess; cashierApi: string } | undefined;

  async function startAgentProcess(): Promise<{ child: ChildProcess; cashierApi: string }> {
    const child = spawn(process.execPath, [join(root, "terminal-agent/bin/codepay-agent.js"), "run", "--config", configPath], {
      cwd: root, env: { ...process.env, UV_USE_IO_URING: "0", CODEPAY_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const cashierApi = await new Promise<string>((resolvePromise, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith("{")) return;
        const event = JSON.parse(line) as { event?: string; cashierApi?: string };
        if (event.event === "ready" && event.cashierApi !== undefined) resolvePromise(event.cashierApi);
      });
      child.once("exit", (code) => reject(new Error(`agent exited (${code}) before ready: ${stderr}`)));
    });
    await pollUntil("the agent's MQTT link up", async () => ((await (await fetch(`${cashierApi}/v1/health`)).json()) as { mqtt?: string }).mqtt === "up" ? true : undefined);
    return { child, cashierApi };
  }

  async function kill(running: { child: ChildProcess }): Promise<void> {
    if (running.child.exitCode !== null || running.child.signalCode !== null) return;
    const exited = new Promise((resolvePromise) => running.child.once("exit", resolvePromise));
    running.child.kill("SIGKILL");
    await exited;
  }

  async function payment(paymentId: string): Promise<PaymentView> {
    const response = await fetch(`${agent!.cashierApi}/v1/payments/${paymentId}`);
    return ((await response.json()) as { payment: PaymentView }).payment;
  }

  async function balanceOf(kind: string, ownerId: string): Promise<number> {
    return (await balances({ dataDir })).accounts.find((a) => a.kind === kind && a.ownerId === ownerId && a.currency === "JPY")?.balanceMinor ?? 0;
  }

  const displayLines = (): readonly string[] => devices.display.snapshot().lines;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "codepay-card-restart-"));
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
    const seed = await demoSeed({ dataDir });
    await enrollCard({ dataDir, userId: seed.userId, pan: VISA_PAN });
    const cardKey = (await readFile(join(dataDir, "card-key"))).toString("hex");
    devices = await startDevices({ transport: "tcp" });
    configPath = join(dataDir, "agent.json");
    await writeFile(configPath, JSON.stringify({
      server: { url: server.mqttUrl },
      register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
      currency: "JPY",
      storeName: "Demo Store",
      journalPath: "agent-journal.sqlite",
      cashierApi: { host: "127.0.0.1", port: 0 },
      cardKey,
      devices: {
        display: { path: devices.paths.display, baudRate: 9600 },
        printer: { path: devices.paths.printer, baudRate: 19200, drawer: true },
        cardReader: { path: devices.paths.cardReader, baudRate: 9600 },
      },
    }));
    await chmod(configPath, 0o600);
  });

  afterAll(async () => {
    if (agent) await kill(agent);
    await devices?.stop();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("journaled as awaiting-card, prompted again after the crash, paid once by the swipe after it", async () => {
    agent = await startAgentProcess();
    const storeBefore = await balanceOf("store", "demo-store");
    const created = await fetch(`${agent.cashierApi}/v1/payments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ amountMinor: 1800, tender: "card" }) });
    expect(created.status).toBe(201);
    const paymentId = ((await created.json()) as { payment: PaymentView }).payment.paymentId;
    await pollUntil("PLEASE SWIPE CARD on the pole display", () => (displayLines()[1]?.includes("PLEASE SWIPE CARD") ? true : undefined));

    await kill(agent);
    // The display keeps its glass when the agent dies: blank it, so the prompt after the restart is the new agent's.
    devices.display.receive(Buffer.from([0x1b, 0x40]));
    expect(displayLines().join("").trim()).toBe("");
    // The server never heard of the payment: nothing is sent before the swipe.
    expect((await listPayments({ dataDir })).payments.some((p) => p.paymentId === paymentId)).toBe(false);

    agent = await startAgentProcess();
    expect(await payment(paymentId)).toMatchObject({ state: "awaiting-card" });
    await pollUntil("PLEASE SWIPE CARD again after the restart", () => (displayLines()[1]?.includes("PLEASE SWIPE CARD") ? true : undefined));

    devices.cardReader.swipe("visa");
    const final = await pollUntil("the card payment approved and its receipt printed", async () => {
      const view = await payment(paymentId);
      return view.state === "approved" && view.receiptPrinted ? view : undefined;
    });
    expect(final.cardLast4).toBe("1111");
    const receipts = devices.printer.snapshot().receipts.filter((r) => r.text.includes(paymentId));
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.text).not.toContain("REPRINT");
    expect((await listPayments({ dataDir })).payments.filter((p) => p.paymentId === paymentId)).toHaveLength(1);
    expect(await balanceOf("store", "demo-store")).toBe(storeBefore + 1800);
  });
});
