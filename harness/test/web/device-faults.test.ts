/**
 * Device faults reach the people who must act (issue 16), in Debian's chromium: the technician
 * dashboard (the simulator's own controls) puts the printer out of paper, opens its cover, unplugs
 * the printer or the card reader; the cashier panel, the cashier API's health and the pole display
 * say so, a payment started meanwhile comes with a warning, an approved payment's receipt is shown
 * as waiting (not "Printing the receipt…" forever), and a drawer kick missed while the printer was
 * unplugged opens the drawer once after replug. The server hears the printer's state too (fleet
 * health, issue 20: `admin registers`).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { listRegisters } from "@codepay/sync-server";
import { eventually, launchChromium, saveScreenshot, startWebSystem, systemWaitMs, webTestTimeoutMs, type WebSystem } from "./web-system.js";

const hasChromium = requireToolOrSkip("chromium", "browser tests");

interface Health {
  devices: Record<string, string>;
  faults: Array<{ device: string; code: string; words: { en: string; ja: string } }>;
}

describe.skipIf(!hasChromium)("device faults on the cashier panel, health and pole display", { timeout: webTestTimeoutMs }, () => {
  let system: WebSystem;
  let browser: Browser;
  let context: BrowserContext;
  let panel: Page;
  let dashboard: Page;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startWebSystem(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    context.setDefaultTimeout(systemWaitMs);
    [panel, dashboard] = await Promise.all([context.newPage(), context.newPage()]);
    await panel.goto(`${system.agent.cashierApiUrl}/`);
    await panel.locator("html[data-live]").waitFor({ state: "attached" });
    await panel.getByRole("status").filter({ hasText: "Server line up" }).waitFor();
    await dashboard.goto(`${system.control.url}/`);
    await dashboard.locator("#connection", { hasText: "live" }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await system?.stop();
  });

  const health = async (): Promise<Health> => (await (await fetch(`${system.agent.cashierApiUrl}/v1/health`)).json()) as Health;
  const banner = () => panel.locator("#device-faults");
  const displayLine = (row: 0 | 1) => system.devices.display.snapshot().lines[row];

  async function payByPhone(code: string): Promise<void> {
    const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
    const claim = await phone.claim(code);
    expect(claim.ok).toBe(true);
    if (claim.ok) expect((await phone.approve(claim.value.paymentId)).ok).toBe(true);
  }

  const fleetRow = async () => (await listRegisters({ dataDir: system.server.dataDir })).registers.find((row) => row.registerId === system.seed.registerId);

  test("paper end: health, banner and a warning at payment start; the approved payment's receipt waits, then prints after the refill", async () => {
    await dashboard.getByLabel("Paper end").check();
    await eventually(async () => (await health()).devices.printer).toBe("paper-end");
    expect((await health()).faults).toEqual([{ device: "printer", code: "PRINTER_PAPER_END", words: { en: "The printer is out of paper: load a new roll", ja: "レシート用紙がありません。用紙を補充してください" } }]);
    await eventually(() => banner().innerText()).toContain("Receipt printer: The printer is out of paper: load a new roll");
    expect(await banner().getAttribute("role")).toBe("alert");
    expect(await banner().locator("small").innerText()).toBe("PRINTER_PAPER_END"); // the code in small print
    expect(await panel.locator("#health").innerText()).toContain("printer out of paper");
    expect(await panel.locator("#health").innerText()).not.toContain("printer online");
    // Fleet health (issue 20): the server heard it on the register's status topic.
    await eventually(async () => (await fleetRow())?.devices.printer).toBe("paper-end");
    expect(await fleetRow()).toMatchObject({ presence: "online", agentVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });

    // A payment still starts (the receipt waits in the durable queue), with a word for the cashier.
    await panel.getByLabel("Amount (JPY)", { exact: true }).fill("800");
    await panel.getByRole("button", { name: "Start payment" }).click();
    await eventually(() => panel.locator("#current-state").textContent()).toContain("Waiting for the shopper");
    expect(await panel.locator("#start-warning").innerText()).toContain("The printer is out of paper");
    const code = ((await panel.locator("#current-code").textContent()) ?? "").replace(/ /g, "");
    await payByPhone(code);

    await eventually(() => panel.locator("#current-state").textContent()).toContain("Approved");
    await eventually(() => panel.locator("#current-detail").textContent()).toContain("Receipt waiting: The printer is out of paper");
    expect(await panel.locator("#current-detail").textContent()).not.toContain("Printing the receipt");
    await eventually(() => displayLine(1)).toContain("RECEIPT DELAYED");
    await saveScreenshot(panel, "cashier-paper-end");

    await dashboard.getByLabel("Paper end").uncheck();
    await eventually(() => panel.locator("#current-detail").textContent()).toContain("Receipt printed");
    await eventually(() => banner().isHidden()).toBe(true);
    expect((await health()).devices.printer).toBe("online");
    expect((await health()).faults).toEqual([]);
    await eventually(async () => (await fleetRow())?.devices.printer).toBe("online");
  });

  test("cover open shows on the banner and in health, and clears when it is closed", async () => {
    await dashboard.getByLabel("Cover open").check();
    await eventually(() => banner().innerText()).toContain("Receipt printer: The printer cover is open: close it");
    expect((await health()).devices.printer).toBe("cover-open");
    expect(await panel.locator("#health").innerText()).toContain("printer cover open");
    await dashboard.getByLabel("Cover open").uncheck();
    await eventually(() => banner().isHidden()).toBe(true);
  });

  test("printer unplugged at approval: the drawer opens exactly once after the printer is plugged back in", async () => {
    const kicksBefore = system.devices.printer.snapshot().drawerKicksTotal;
    await dashboard.getByRole("button", { name: "Unplug printer" }).click();
    await eventually(async () => (await health()).devices.printer).toBe("offline");
    await eventually(() => banner().innerText()).toContain("Receipt printer: A device is not connected");

    const { paymentId, code } = await system.startPayment(600);
    await payByPhone(code);
    await eventually(async () => (await system.payment(paymentId)).state).toBe("approved");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(system.devices.printer.snapshot().drawerKicksTotal).toBe(kicksBefore);

    await dashboard.getByRole("button", { name: "Plug in printer" }).click();
    await eventually(async () => (await system.payment(paymentId)).receiptPrinted).toBe(true);
    await eventually(() => system.devices.printer.snapshot().drawerKicksTotal).toBe(kicksBefore + 1);
    await eventually(() => dashboard.locator("#drawer-state").textContent()).toContain("open");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(system.devices.printer.snapshot().drawerKicksTotal).toBe(kicksBefore + 1);
    await eventually(() => banner().isHidden()).toBe(true);
    await dashboard.getByRole("button", { name: "Push the drawer shut" }).click();
  });

  test("card reader unplugged: a card payment starts with a warning and the pole display tells the shopper", async () => {
    await dashboard.getByRole("button", { name: "Unplug card reader" }).click();
    await eventually(() => banner().innerText()).toContain("Card reader: A device is not connected");
    await panel.getByLabel("Amount (JPY)", { exact: true }).fill("450");
    await panel.getByRole("button", { name: "Pay by card" }).click();
    await eventually(() => panel.locator("#current-state").textContent()).toContain("Swipe the card");
    expect(await panel.locator("#start-warning").innerText()).toContain("Card reader: A device is not connected");
    await eventually(() => displayLine(1)).toContain("CARD READER OFFLINE");

    await dashboard.getByRole("button", { name: "Plug in card reader" }).click();
    await eventually(() => displayLine(1)).toContain("PLEASE SWIPE CARD");
    await eventually(() => banner().isHidden()).toBe(true);
    await panel.getByRole("button", { name: "Cancel payment" }).click();
    await eventually(() => panel.locator("#current-state").textContent()).toContain("Cancelled");
  });
});
