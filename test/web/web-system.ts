/// <reference lib="dom" />
// DOM types for the page.evaluate callbacks, which run in the browser.
/**
 * The whole system in-process for the page tests: server (SQLite in a temp dir), the simulated
 * devices on loopback TCP (real bytes, no socat needed), the sim's control API with the dashboard,
 * and the agent with its cashier API. Plus a Debian chromium driven by playwright-core.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { demoSeed, silentLogger, startServer, type DemoSeedOutput, type RunningServer } from "@codepay/sync-server";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { codeOnDisplay, findTool, startControlApi, startDevices, type ControlApi, type SimDevices } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";

export interface PaymentView {
  paymentId: string;
  state: string;
  amount: { minor: number; currency: string };
  code?: string;
  receiptPrinted: boolean;
}

export interface WebSystem {
  readonly server: RunningServer;
  readonly devices: SimDevices;
  readonly control: ControlApi;
  readonly agent: RunningAgent;
  readonly seed: DemoSeedOutput;
  /** POST /v1/payments on the cashier API; resolves with the paymentId and the code read off the pole display. */
  startPayment(amountMinor: number): Promise<{ paymentId: string; code: string }>;
  payment(paymentId: string): Promise<PaymentView>;
  cancel(paymentId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebSystem(): Promise<WebSystem> {
  const dataDir = await mkdtemp(join(tmpdir(), "codepay-web-"));
  const server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, sweepIntervalMs: 100, logger: silentLogger() });
  const seed = await demoSeed({ dataDir });
  const devices = await startDevices({ transport: "tcp" });
  const control = await startControlApi({
    devices,
    phone: async () => ({ gatewayUrl: server.gatewayUrl, subscriberCredential: seed.subscriberCredential }),
  });
  const config = parseConfig({
    server: { url: server.mqttUrl },
    register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
    currency: "JPY",
    language: "en",
    storeName: "Demo Store",
    journalPath: join(dataDir, "agent-journal.sqlite"),
    cashierApi: { host: "127.0.0.1", port: 0 },
    devices: {
      display: { path: devices.paths.display, baudRate: 9600, model: "epson" },
      printer: { path: devices.paths.printer, baudRate: 19200, model: "epson", drawer: true },
      cardReader: { path: devices.paths.cardReader, baudRate: 9600 },
    },
  });
  const agent = await startAgent(config, { logger: silentLogger() });
  const cashier = async (path: string, body?: unknown): Promise<{ status: number; json: { payment?: PaymentView } }> => {
    const response = await fetch(`${agent.cashierApiUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as { payment?: PaymentView } };
  };
  await pollUntil("the agent's line to the server", async () => {
    const health = (await (await fetch(`${agent.cashierApiUrl}/v1/health`)).json()) as { mqtt?: string };
    return health.mqtt === "up" ? true : undefined;
  }, systemWaitMs);
  return {
    server, devices, control, agent, seed,
    async startPayment(amountMinor) {
      const created = await cashier("/v1/payments", { amountMinor });
      if (created.status !== 201) throw new Error(`payment not created: ${created.status}`);
      const paymentId = created.json.payment!.paymentId;
      const code = await pollUntil("the code on the pole display", () => codeOnDisplay(devices.display.snapshot().lines[1]), systemWaitMs);
      return { paymentId, code };
    },
    async payment(paymentId) {
      return (await cashier(`/v1/payments/${paymentId}`)).json.payment!;
    },
    async cancel(paymentId) {
      await cashier(`/v1/payments/${paymentId}/cancel`, {});
      await pollUntil("the cancelled payment", async () => ((await cashier(`/v1/payments/${paymentId}`)).json.payment?.state === "cancelled" ? true : undefined), systemWaitMs);
    },
    async stop() {
      await agent.stop();
      await control.close();
      await devices.stop();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's chromium (scripts/install-system-packages.sh), never a browser download. A fresh profile per launch. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findTool("chromium") ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

const screenshotDirectory = resolve(import.meta.dirname, "../../docs/screenshots");

/** Saves docs/screenshots/<name>.png only when CODEPAY_UPDATE_SCREENSHOTS=1, so test runs leave the tree clean. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.CODEPAY_UPDATE_SCREENSHOTS !== "1") return;
  await mkdir(screenshotDirectory, { recursive: true });
  await writeFile(join(screenshotDirectory, `${name}.png`), await page.screenshot({ fullPage: true }));
}

/** No horizontal scrolling at the page's width (WCAG 1.4.10 reflow). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/**
 * How long a page may wait on the system before the test gives up. Only decides when a hung run
 * fails: under a full `npm test` (every suite in parallel) a step can take seconds.
 */
export const systemWaitMs = 30_000;
/** A test's own bound: a few waits of systemWaitMs. */
export const webTestTimeoutMs = 120_000;

/** expect.poll with a bound for a page that is waiting on the system (vitest's default is 1 s). */
export function eventually<T>(probe: () => T | Promise<T>, timeoutMs = systemWaitMs) {
  return expect.poll(probe, { timeout: timeoutMs, interval: 50 });
}
