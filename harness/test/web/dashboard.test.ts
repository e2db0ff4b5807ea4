/**
 * The technician dashboard in Debian's chromium at desktop size: it draws the pole display, the
 * receipt decoded from ESC/POS (QR drawn as a QR), the drawer and the event log as they change
 * (server-sent events), and its controls drive the simulated devices.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { requireToolOrSkip } from "@codepay/hardware-sim";
import { encodeQr } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";
import { eventually, systemWaitMs, webTestTimeoutMs, launchChromium, saveScreenshot, startWebSystem, type WebSystem } from "./web-system.js";

const hasChromium = requireToolOrSkip("chromium", "browser tests");

describe.skipIf(!hasChromium)("technician dashboard", { timeout: webTestTimeoutMs }, () => {
  let system: WebSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startWebSystem(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    context.setDefaultTimeout(systemWaitMs);
    page = await context.newPage();
    await page.goto(`${system.control.url}/`);
    await page.locator("#connection", { hasText: "live" }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await system?.stop();
  });

  const logText = (): Promise<string> => page.getByRole("log").innerText();

  test("a payment: the VFD shows the code, the phone panel pays it, the receipt prints with its QR, the drawer opens", async () => {
    const { paymentId, code } = await system.startPayment(1200);
    const grouped = `${code.slice(0, -4)} ${code.slice(-4)}`;
    await eventually(() => page.locator("#vfd").getAttribute("aria-label")).toContain(`CODE ${grouped}`);
    expect(await page.locator("#vfd-line-0 .cell").count()).toBe(20);
    expect(await page.locator("#vfd-line-0").textContent()).toMatch(/^TOTAL\s+JPY 1200$/);

    await page.getByRole("button", { name: "Pay the code on the display" }).click();
    await eventually(() => page.locator("#phone-result").textContent()).toContain(`Approved: code ${code}`);

    const latest = page.getByRole("article", { name: "Latest receipt" });
    await eventually(() => latest.innerText()).toContain(paymentId);
    expect(await latest.innerText()).toMatch(/TOTAL\s+JPY 1200/);
    // The store name is printed centred and emphasized (ESC a 1, ESC E 1).
    expect(await latest.locator(".line.bold.align-center").first().innerText()).toBe("Demo Store");
    // The QR is drawn from the decoded GS ( k payload: as many dark modules as the symbol has.
    const qr = latest.getByRole("img", { name: `QR code: ${paymentId}` });
    const path = (await qr.locator("path").getAttribute("d")) ?? "";
    const darkModules = encodeQr(paymentId, { errorCorrection: "M" })!.flat().filter(Boolean).length;
    expect(path.split("z").length - 1).toBe(darkModules);

    await eventually(() => page.locator("#drawer-state").textContent()).toContain("open");
    const log = await logText();
    expect(log).toContain("receipt cut");
    expect(log).toContain("drawer kicked open");
    expect(log).toContain(`approved ${paymentId}`);
    await pollUntil("approved at the register", async () => ((await system.payment(paymentId)).state === "approved" ? true : undefined), systemWaitMs);
    await saveScreenshot(page, "dashboard");

    await page.getByRole("button", { name: "Push the drawer shut" }).click();
    await eventually(() => page.locator("#drawer-state").textContent()).toContain("closed");
  });

  test("card reader controls swipe a test card and a bad swipe", async () => {
    await page.getByRole("button", { name: "Swipe test card (Visa)" }).click();
    await eventually(logText).toMatch(/card swiped: visa \S*\d{4}/);
    await page.getByRole("button", { name: "Bad swipe" }).click();
    await eventually(logText).toContain("bad swipe");
    expect(system.devices.cardReader.snapshot().swipes).toBe(2);
  });

  test("printer fault switches set paper near end, paper end and cover open on the printer", async () => {
    for (const [label, fault] of [["Paper near end", "paperNearEnd"], ["Paper end", "paperEnd"], ["Cover open", "coverOpen"]] as const) {
      await page.getByLabel(label).check();
      await eventually(() => system.devices.printer.snapshot().faults[fault]).toBe(true);
      await eventually(logText).toContain(`${fault} on`);
      await page.getByLabel(label).uncheck();
      await eventually(() => system.devices.printer.snapshot().faults[fault]).toBe(false);
    }
  });

  test("each device can be unplugged and plugged back in; the agent sees it", async () => {
    const agentHealth = async (): Promise<Record<string, string>> =>
      ((await (await fetch(`${system.agent.cashierApiUrl}/v1/health`)).json()) as { devices: Record<string, string> }).devices;
    for (const [key, name] of [["display", "display"], ["printer", "printer"], ["cardReader", "card reader"]] as const) {
      await page.getByRole("button", { name: `Unplug ${name}` }).click();
      await page.getByRole("button", { name: `Plug in ${name}` }).waitFor();
      await eventually(logText).toContain(`${key} unplugged`);
      await eventually(async () => (await agentHealth())[key]).not.toBe("online");
      await page.getByRole("button", { name: `Plug in ${name}` }).click();
      await page.getByRole("button", { name: `Unplug ${name}` }).waitFor();
      await eventually(async () => (await agentHealth())[key]).toBe("online");
    }
  });
});
