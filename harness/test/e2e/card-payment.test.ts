/**
 * Card tender end to end, through every real part (modeled on code-payment.test.ts): a real server
 * in process with the demo user's Visa enrolled (`admin card enroll`), the simulated devices over
 * pseudo-terminals, and the real agent with the server's card key. The simulator swipes the card; the
 * agent sends only the keyed hash and the last 4. The display and receipt are decoded from the bytes.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { balances, demoSeed, enrollCard, silentLogger, startServer, type RunningServer } from "@codepay/sync-server";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { requireToolOrSkip, startDevices, type SimDevices } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";

const hasSocat = requireToolOrSkip("socat", "end-to-end tests over pseudo-terminals");
const VISA_PAN = "4111111111111111"; // the simulator's "visa" test card

interface PaymentView {
  paymentId: string;
  state: string;
  amount: { minor: number; currency: string };
  reason?: string;
  cardLast4?: string;
  receiptPrinted: boolean;
}

describe.skipIf(!hasSocat)("a card payment end to end over real parts", () => {
  let server: RunningServer;
  let devices: SimDevices;
  let agent: RunningAgent;
  let dataDir: string;

  const displayLines = (): readonly string[] => devices.display.snapshot().lines;
  async function cashier(path: string, init?: RequestInit): Promise<{ status: number; body: { payment?: PaymentView; error?: { code: string } } }> {
    const response = await fetch(`${agent.cashierApiUrl}${path}`, { ...init, headers: { "content-type": "application/json" } });
    return { status: response.status, body: (await response.json()) as { payment?: PaymentView; error?: { code: string } } };
  }
  async function paymentState(paymentId: string): Promise<PaymentView> {
    return (await cashier(`/v1/payments/${paymentId}`)).body.payment!;
  }
  async function balanceOf(kind: string, ownerId: string): Promise<number> {
    const all = await balances({ dataDir });
    return all.accounts.find((a) => a.kind === kind && a.ownerId === ownerId && a.currency === "JPY")?.balanceMinor ?? 0;
  }
  async function startCardPayment(amountMinor: number): Promise<string> {
    const created = await cashier("/v1/payments", { method: "POST", body: JSON.stringify({ amountMinor, tender: "card" }) });
    expect(created.status).toBe(201);
    expect(created.body.payment?.state).toBe("awaiting-card");
    await pollUntil("PLEASE SWIPE CARD on the pole display", () => (displayLines()[1]?.includes("PLEASE SWIPE CARD") ? true : undefined));
    return created.body.payment!.paymentId;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "codepay-e2e-card-"));
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, codeTtlMs: 120_000, sweepIntervalMs: 100, logger: silentLogger() });
    const seed = await demoSeed({ dataDir });
    const enrolled = await enrollCard({ dataDir, userId: seed.userId, pan: VISA_PAN });
    expect(enrolled.last4).toBe("1111");
    const cardKey = (await readFile(join(dataDir, "card-key"))).toString("hex");
    devices = await startDevices({ transport: "pty", directory: join(dataDir, "pty") });
    const config = parseConfig({
      server: { url: server.mqttUrl },
      register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
      currency: "JPY",
      language: "en",
      storeName: "Demo Store",
      journalPath: join(dataDir, "agent-journal.sqlite"),
      cashierApi: { host: "127.0.0.1", port: 0 },
      cardKey,
      receipt: { greetByName: true },
      devices: {
        display: { path: devices.paths.display, baudRate: 9600, model: "epson" },
        printer: { path: devices.paths.printer, baudRate: 19200, model: "epson", drawer: true },
        cardReader: { path: devices.paths.cardReader, baudRate: 9600 },
      },
    });
    agent = await startAgent(config, { logger: silentLogger() });
    await pollUntil("the agent's MQTT link up", async () => {
      const health = (await (await fetch(`${agent.cashierApiUrl}/v1/health`)).json()) as { mqtt?: string };
      return health.mqtt === "up" ? true : undefined;
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await devices?.stop();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("a bad swipe is shown and the payment keeps waiting; the Visa swipe pays, the ledger moves, the receipt shows ****1111 only", async () => {
    const storeBefore = await balanceOf("store", "demo-store");
    const userBefore = await balanceOf("user", "demo-user");
    const paymentId = await startCardPayment(1500);
    expect(displayLines()[0]).toMatch(/^TOTAL\s+JPY 1500$/);

    devices.cardReader.swipe("bad");
    await pollUntil("the card error on the pole display", () => (displayLines()[0]?.includes("CARD ERROR") ? true : undefined));
    expect((await paymentState(paymentId)).state).toBe("awaiting-card");

    devices.cardReader.swipe("visa");
    const final = await pollUntil("the approved card payment with its receipt printed", async () => {
      const view = await paymentState(paymentId);
      return view.state === "approved" && view.receiptPrinted ? view : undefined;
    });
    expect(final).toMatchObject({ amount: { minor: 1500, currency: "JPY" }, cardLast4: "1111" });
    await pollUntil("APPROVED on the pole display", () => (displayLines()[0]?.includes("APPROVED") ? true : undefined));

    const receipt = await pollUntil("the receipt on the simulated printer", () => devices.printer.snapshot().receipts.find((r) => r.text.includes(paymentId) && r.cut));
    expect(receipt.text).toMatch(/TOTAL\s+JPY 1500/);
    expect(receipt.text).toContain("CARD ****1111");
    expect(receipt.text).toContain("Thank you, Visa Test"); // the store greets by name: TEST/VISA on track 1
    expect(receipt.text).not.toContain(VISA_PAN);
    expect(receipt.text).not.toContain("411111");

    expect(await balanceOf("store", "demo-store")).toBe(storeBefore + 1500);
    expect(await balanceOf("user", "demo-user")).toBe(userBefore - 1500);
    for (const sum of Object.values((await balances({ dataDir })).totals)) expect(sum).toBe(0);
  });

  test("an unenrolled card is declined with its reason and moves no money", async () => {
    const storeBefore = await balanceOf("store", "demo-store");
    const paymentId = await startCardPayment(700);
    devices.cardReader.swipe("mastercard");
    const final = await pollUntil("the declined card payment", async () => {
      const view = await paymentState(paymentId);
      return view.state === "declined" ? view : undefined;
    });
    expect(final.reason).toBe("CARD_UNKNOWN");
    await pollUntil("DECLINED on the pole display", () => (displayLines()[0]?.includes("DECLINED") ? true : undefined));
    expect(await balanceOf("store", "demo-store")).toBe(storeBefore);
  });

  test("an X report reaches the simulated printer with the card total", async () => {
    const response = await fetch(`${agent.cashierApiUrl}/v1/reports/x`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ requestId: "x-report-e2e-1" }) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { report: { kind: string; totals: { currency: string; tender: string; payments: { count: number; minor: number } }[] }; printed: boolean };
    expect(body.report.kind).toBe("x");
    expect(body.report.totals).toContainEqual(expect.objectContaining({ currency: "JPY", tender: "card", payments: { count: 1, minor: 1500 } }));
    expect(body.printed).toBe(true);
    const printed = await pollUntil("the X report on the simulated printer", () => devices.printer.snapshot().receipts.find((r) => r.text.includes("X REPORT") && r.cut));
    expect(printed.text).toContain("RUNNING TOTALS");
    expect(printed.text).toContain("JPY CARD");
  });

  test("the readers' factory framings pay over a pseudo-terminal: one CR after concatenated tracks, CR between tracks, STX…ETX, MagTek's ESC and sensor byte", async () => {
    for (const framing of ["concatenated", "cr", "stx-etx", "magtek-esc"] as const) {
      const paymentId = await startCardPayment(100);
      devices.cardReader.swipe("visa", framing);
      const final = await pollUntil(`the card payment swiped with framing ${framing}`, async () => {
        const view = await paymentState(paymentId);
        return view.state === "approved" ? view : undefined;
      });
      expect(final.cardLast4).toBe("1111");
    }
  });

  test("cancel before the swipe: the payment ends and a later swipe pays nothing", async () => {
    const storeBefore = await balanceOf("store", "demo-store");
    const paymentId = await startCardPayment(900);
    const cancelled = await cashier(`/v1/payments/${paymentId}/cancel`, { method: "POST", body: "{}" });
    expect(cancelled.body.payment?.state).toBe("cancelled");
    await pollUntil("CANCELLED on the pole display", () => (displayLines()[0]?.includes("CANCELLED") ? true : undefined));
    devices.cardReader.swipe("visa");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await paymentState(paymentId)).state).toBe("cancelled");
    expect(await balanceOf("store", "demo-store")).toBe(storeBefore);
  });
});
