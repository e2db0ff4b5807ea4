/**
 * The operator console (issue 20) in Debian's chromium, on the whole system (server, agent, simulated
 * devices): an administrator made by `admin operator create` signs in, sees the register online with
 * its devices, finds a payment the shopper just made, reads its timeline, refunds part of it with a
 * reason, and sees the register go offline when its agent stops. Screenshots for the README.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { createOperator } from "@codepay/sync-server";
import { pollUntil } from "../helpers/poll-until.js";
import { eventually, horizontalOverflow, launchChromium, saveScreenshot, startWebSystem, systemWaitMs, webTestTimeoutMs, type WebSystem } from "./web-system.js";

const hasChromium = requireToolOrSkip("chromium", "browser tests");

describe.skipIf(!hasChromium)("operator console in chromium", { timeout: webTestTimeoutMs }, () => {
  let system: WebSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let operator: { username: string; password: string };
  let paymentId: string;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startWebSystem(), launchChromium()]);
    operator = await createOperator({ dataDir: system.server.dataDir, username: "ops-admin", role: "admin" });
    context = await browser.newContext({ viewport: { width: 1280, height: 820 }, locale: "en-US" });
    context.setDefaultTimeout(systemWaitMs);
    page = await context.newPage();
    const started = await system.startPayment(1_500, [{ text: "Green tea", amountMinor: 1_500 }]);
    paymentId = started.paymentId;
    const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
    const claim = await phone.claim(started.code);
    expect(claim.ok).toBe(true);
    if (claim.ok) expect((await phone.approve(claim.value.paymentId)).ok).toBe(true);
    await pollUntil("the approved payment", async () => ((await system.payment(paymentId)).state === "approved" ? true : undefined), systemWaitMs);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await system?.stop();
  });

  test("signs in: a wrong password is refused in words, the right one shows the registers with their health", async () => {
    await page.goto(`${system.server.operatorUrl}/console`);
    await expect.poll(() => page.url()).toContain("/console/sign-in");
    await page.getByLabel("Username").fill(operator.username);
    await page.getByLabel("Password").fill("not-it");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong username or password." }).waitFor();
    await page.getByLabel("Password").fill(operator.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Registers" }).waitFor();
    const row = page.locator(`tr[data-register="${system.seed.registerId}"]`);
    await eventually(() => row.getAttribute("data-presence")).toBe("online");
    expect(await row.innerText()).toContain("printer: ok");
    expect(await horizontalOverflow(page)).toBe(0);
  });

  test("finds the payment, shows its timeline and refunds part of it with a reason", async () => {
    await page.getByRole("link", { name: "Payments" }).click();
    await page.getByLabel("Register", { exact: true }).fill(system.seed.registerId);
    await page.getByLabel("State").selectOption("approved");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: paymentId }).click();
    await page.getByRole("heading", { name: `Payment ${paymentId}` }).waitFor();
    const timeline = page.locator("ol.timeline");
    for (const step of ["Created at the register", "Claimed by the shopper's phone", "Approved: money moved", "Result sent to the register"]) expect(await timeline.innerText()).toContain(step);
    await eventually(async () => {
      await page.reload();
      return page.locator("ol.timeline").innerText();
    }).toContain("Register acknowledged the result");

    await page.getByLabel("Amount to refund (JPY)").fill("500");
    await page.getByRole("button", { name: "Refund" }).click();
    // The reason is required: the browser keeps the form until one is written.
    expect(page.url()).not.toContain("done=refund");
    await page.getByLabel("Reason (required)").fill("Damaged bottle");
    await page.getByRole("button", { name: "Refund" }).click();
    await page.getByRole("status").filter({ hasText: "The refund was made." }).waitFor();
    expect(await page.locator("ol.timeline").innerText()).toMatch(/Refunded · JPY 500/);
    expect(await page.locator("dl.facts").innerText()).toContain("JPY 500");
    await saveScreenshot(page, "console-payment");
  });

  test("sees the register go offline when its agent stops", async () => {
    await page.getByRole("link", { name: "Registers" }).click();
    const row = page.locator(`tr[data-register="${system.seed.registerId}"]`);
    await eventually(() => row.getAttribute("data-presence")).toBe("online");
    await system.agent.stop();
    // The page reloads itself every few seconds; the server records the agent's goodbye within one.
    await eventually(async () => row.getAttribute("data-presence")).toBe("offline");
    expect(await row.locator("td.presence").innerText()).toBe("offline");
    expect(await row.locator("td.stale").innerText()).toContain("last reported: pole display: ok"); // devices as last heard, marked so
    await saveScreenshot(page, "console-registers");
  });
});
