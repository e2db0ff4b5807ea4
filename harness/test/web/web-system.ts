/// <reference lib="dom" />
// DOM types for the page.evaluate callbacks, which run in the browser.
/**
 * The whole system in-process for the page tests: server (SQLite in a temp dir), the simulated
 * devices on loopback TCP (real bytes, no socat needed), the sim's control API with the dashboard,
 * and the agent with its cashier API. Plus a Debian chromium driven by playwright-core.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import type { DemoSeedOutput, RunningServer } from "@codepay/sync-server";
import type { RunningAgent } from "@codepay/terminal-agent";
import { findTool, startControlApi, type ControlApi, type SimDevices } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";
import { startInProcessSystem, type CashierPaymentView } from "../helpers/in-process-system.js";

export type PaymentView = CashierPaymentView;

export interface WebSystem {
  readonly server: RunningServer;
  readonly devices: SimDevices;
  readonly control: ControlApi;
  readonly agent: RunningAgent;
  readonly seed: DemoSeedOutput;
  /** POST /v1/payments on the cashier API; resolves with the paymentId and the code read off the pole display. */
  startPayment(amountMinor: number, lines?: readonly { text: string; amountMinor?: number }[]): Promise<{ paymentId: string; code: string }>;
  payment(paymentId: string): Promise<PaymentView>;
  cancel(paymentId: string): Promise<void>;
  /** POST /v1/payments/:id/refunds on the cashier API; resolves once the server has answered the refund. */
  refund(paymentId: string, amountMinor: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebSystem(): Promise<WebSystem> {
  const system = await startInProcessSystem({ transport: "tcp", waitMs: systemWaitMs });
  const control = await startControlApi({
    devices: system.devices,
    phone: async () => ({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential }),
  });
  return {
    server: system.server, devices: system.devices, control, agent: system.agent, seed: system.seed,
    startPayment: (amountMinor, lines) => system.startPayment(amountMinor, systemWaitMs, lines),
    payment: (paymentId) => system.payment(paymentId),
    async cancel(paymentId) {
      await system.cashier(`/v1/payments/${paymentId}/cancel`, {});
      await pollUntil("the cancelled payment", async () => ((await system.payment(paymentId)).state === "cancelled" ? true : undefined), systemWaitMs);
    },
    async refund(paymentId, amountMinor) {
      const refunded = await system.cashier(`/v1/payments/${paymentId}/refunds`, { amountMinor });
      if (refunded.status !== 201) throw new Error(`refund not made: HTTP ${refunded.status} ${JSON.stringify(refunded.body)}`);
    },
    async stop() {
      await system.agent.stop();
      await control.close();
      await system.stop();
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

const screenshotDirectory = resolve(import.meta.dirname, "../../../docs/screenshots");

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
