/**
 * The cashier panel in Debian's chromium at desktop size, on the agent's cashier API: start a
 * payment, watch the code and the result arrive (server-sent events), cancel one, refund, reports.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { eventually, systemWaitMs, webTestTimeoutMs, launchChromium, saveScreenshot, startWebSystem, type WebSystem } from "./web-system.js";

const hasChromium = requireToolOrSkip("chromium", "browser tests");

describe.skipIf(!hasChromium)("cashier panel", { timeout: webTestTimeoutMs }, () => {
  let system: WebSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startWebSystem(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    context.setDefaultTimeout(systemWaitMs);
    page = await context.newPage();
    await page.goto(`${system.agent.cashierApiUrl}/`);
    await page.locator("html[data-live]").waitFor({ state: "attached" }); // the event stream is open
    await page.getByRole("status").filter({ hasText: "Server line up" }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await system?.stop();
  });

  async function startFromPanel(amount: string): Promise<{ paymentId: string; code: string }> {
    const before = (await page.locator("#current-detail").textContent()) ?? "";
    await page.getByLabel("Amount (JPY)", { exact: true }).fill(amount);
    await page.getByRole("button", { name: "Start payment" }).click();
    await eventually(() => page.locator("#current-state").textContent()).toContain("Waiting for the shopper");
    // The new payment's id and code, not the last one's: the panel fills its fields one after another.
    await eventually(async () => ((await page.locator("#current-detail").textContent()) ?? "") !== before && /^\d+$/.test(((await page.locator("#current-code").textContent()) ?? "").replace(/ /g, ""))).toBe(true);
    const shown = (await page.locator("#current-code").textContent()) ?? "";
    const paymentId = ((await page.locator("#current-detail").textContent()) ?? "").match(/Payment (\S+)/)?.[1] ?? "";
    return { paymentId, code: shown.replace(/ /g, "") };
  }

  test("the cashier enters an amount, the shopper pays the code, the panel shows approved and the receipt", async () => {
    const { paymentId, code } = await startFromPanel("1500");
    expect(system.devices.display.snapshot().lines[1]).toContain(`CODE ${code.slice(0, -4)} ${code.slice(-4)}`);
    expect((await system.payment(paymentId)).amount).toEqual({ minor: 1500, currency: "JPY" });
    expect(await page.locator("#current-expiry").textContent()).toMatch(/expires in \d:\d\d/);

    const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
    const claim = await phone.claim(code);
    expect(claim.ok).toBe(true);
    if (claim.ok) expect((await phone.approve(claim.value.paymentId)).ok).toBe(true);

    await eventually(() => page.locator("#current-state").textContent()).toContain("Approved");
    await eventually(() => page.locator("#current-detail").textContent()).toContain("Receipt printed");
    expect(await page.locator("#current-code-row").isHidden()).toBe(true);
    const row = page.getByRole("row").filter({ hasText: paymentId });
    expect(await row.innerText()).toMatch(/JPY 1500\s+Approved/);
    expect(await row.getByRole("button", { name: /^Refund JPY 1500/ }).count()).toBe(1);
  });

  test("the cashier cancels a payment before the shopper pays", async () => {
    const { paymentId } = await startFromPanel("700");
    await page.getByRole("button", { name: "Cancel payment" }).click();
    await eventually(() => page.locator("#current-state").textContent()).toContain("Cancelled");
    expect((await system.payment(paymentId)).state).toBe("cancelled");
    expect(await page.getByRole("button", { name: "Cancel payment" }).isHidden()).toBe(true);
  });

  test("a cancel's reply that arrives after the cancelled event does not bring the payment back", async () => {
    // The agent answers a cancel at once (asked, still waiting for the shopper) and tells the panel
    // "cancelled" on the event stream once the server agrees. Here that reply is held until the event is
    // shown, so it arrives older than what the panel already has.
    const { paymentId } = await startFromPanel("800");
    let delivered!: () => void;
    const replyDelivered = new Promise<void>((resolve) => (delivered = resolve));
    let heldBody = "";
    await page.route(`**/v1/payments/${encodeURIComponent(paymentId)}/cancel`, async (route) => {
      const response = await route.fetch();
      heldBody = await response.text();
      await eventually(() => page.locator("#current-state").textContent()).toContain("Cancelled");
      await route.fulfill({ response });
      delivered();
    });
    try {
      await page.getByRole("button", { name: "Cancel payment" }).click();
      await replyDelivered;
      expect(JSON.parse(heldBody).payment).toMatchObject({ paymentId, state: "issued" }); // the reply is older than the event
      // The panel applies the reply within a few milliseconds of receiving it; watch for half a second.
      for (const started = Date.now(); Date.now() - started < 500; ) {
        expect(await page.locator("#current-state").textContent()).toBe("Cancelled");
        expect(await page.getByRole("button", { name: "Cancel payment" }).isHidden()).toBe(true);
      }
    } finally {
      await page.unroute(`**/v1/payments/${encodeURIComponent(paymentId)}/cancel`);
    }
    expect((await system.payment(paymentId)).state).toBe("cancelled");
  });

  test("Pay by card waits for a swipe, shows a bad swipe, and can be cancelled before a good one", async () => {
    await page.getByLabel("Amount (JPY)", { exact: true }).fill("600");
    await page.getByRole("button", { name: "Pay by card" }).click();
    await eventually(() => page.locator("#current-state").textContent()).toContain("Swipe the card");
    const paymentId = ((await page.locator("#current-detail").textContent()) ?? "").match(/Payment (\S+)/)?.[1] ?? "";
    expect((await system.payment(paymentId)).state).toBe("awaiting-card");
    system.devices.cardReader.swipe("bad");
    await eventually(() => page.locator("#current-detail").textContent()).toMatch(/Bad swipe: .*swipe again.* CARD_\w+$/); // words, the code in small print
    expect(await page.locator("#current-detail small.code").textContent()).toMatch(/^CARD_\w+$/);
    await page.getByRole("button", { name: "Cancel payment" }).click();
    await eventually(() => page.locator("#current-state").textContent()).toContain("Cancelled");
    expect((await system.payment(paymentId)).state).toBe("cancelled");
  });

  test("an amount that is not one is refused in the page", async () => {
    await page.getByLabel("Amount (JPY)", { exact: true }).fill("12.50");
    await page.getByRole("button", { name: "Start payment" }).click();
    expect(await page.getByRole("alert").textContent()).toContain("Type an amount in JPY");
    expect(await page.getByLabel("Amount (JPY)", { exact: true }).getAttribute("aria-invalid")).toBe("true");
  });

  test("amounts typed as ¥1,200, 1 200 or full-width digits start 1200; too large says the maximum; a second start while one is open is refused in words with the code in small print", async () => {
    const amountField = page.getByLabel("Amount (JPY)", { exact: true });
    await amountField.fill("99999999999999");
    await page.getByRole("button", { name: "Start payment" }).click();
    expect(await page.locator("#amount-error").textContent()).toContain("the most is JPY 1000000000000");
    for (const typed of ["¥1,200", "1 200", "１２００"]) {
      await amountField.fill(typed);
      await page.getByRole("button", { name: "Start payment" }).click();
      await eventually(() => page.locator("#current-state").textContent()).toContain("Waiting for the shopper");
      expect(await page.locator("#current-amount").textContent()).toBe("JPY 1200");
      if (typed === "¥1,200") {
        // One customer at a time: the open 1200 blocks a new start, said in words, the code in small print.
        await amountField.fill("300");
        await page.getByRole("button", { name: "Start payment" }).click();
        await eventually(() => page.locator("#amount-error").textContent()).toContain("Another payment is still open");
        expect(await page.locator("#amount-error small.code").textContent()).toBe("PAYMENT_IN_PROGRESS");
      }
      await page.getByRole("button", { name: "Cancel payment" }).click();
      await eventually(() => page.locator("#current-state").textContent()).toContain("Cancelled");
    }
  });

  test("the cashier refunds part of an approved payment and prints an X report", async () => {
    const row = page.getByRole("row").filter({ hasText: "Approved" }).first();
    const paymentId = (await row.locator("td").nth(3).textContent()) ?? "";
    await row.getByRole("button", { name: /^Refund/ }).click();
    expect(await page.getByLabel("Refund amount (JPY)", { exact: true }).inputValue()).toBe("1500");
    await page.getByLabel("Refund amount (JPY)", { exact: true }).fill("500");
    await page.getByLabel(/^Reason/).fill("damaged box");
    await page.getByRole("button", { name: "Refund", exact: true }).click();
    await eventually(() => page.locator("#refund-result").textContent()).toMatch(/^Refund of JPY 500 (done|sent to the server)/);
    await eventually(() => page.getByRole("row").filter({ hasText: paymentId }).innerText()).toContain("refunded JPY 500");
    // The reason went with the refund: the agent keeps it for the slip.
    expect((await system.payment(paymentId)).refunds).toMatchObject([{ amountMinor: 500, note: "damaged box" }]);
    // The refund slip comes out of the register's printer with the reason on it.
    await eventually(() => system.devices.printer.snapshot().receipts.find((r) => /^\s*REFUND\s*$/m.test(r.text) && r.text.includes(paymentId) && r.cut)?.text ?? "").toContain("damaged box");

    await page.getByRole("button", { name: "Print X report" }).click();
    await eventually(() => page.locator("#report caption").textContent()).toMatch(/^X report · period \d+/);
    const report = await page.locator("#report table").innerText();
    expect(report).toMatch(/JPY\s+code\s+1 · JPY 1500\s+0 · JPY 0\s+1 · JPY 500\s+JPY 1000/);
  });

  test("the cashier voids an approved payment, then prints the Z report that closes the period", async () => {
    // The void's dialog asks for the slip's reason.
    page.on("dialog", (dialog) => void dialog.accept(dialog.type() === "prompt" ? "wrong item" : undefined));
    const { code } = await startFromPanel("900");
    const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
    const claim = await phone.claim(code);
    if (!claim.ok) throw new Error(`claim refused: ${claim.code}`);
    expect((await phone.approve(claim.value.paymentId)).ok).toBe(true);
    const row = page.getByRole("row").filter({ hasText: claim.value.paymentId });
    await eventually(() => row.innerText()).toContain("Approved");
    await row.getByRole("button", { name: /^Void/ }).click();
    await eventually(() => row.innerText()).toContain("Voided");
    expect(await system.payment(claim.value.paymentId)).toMatchObject({ state: "voided", voidNote: "wrong item" });
    await eventually(() => system.devices.printer.snapshot().receipts.find((r) => /^\s*VOID\s*$/m.test(r.text) && r.text.includes(claim.value.paymentId) && r.cut)?.text ?? "").toContain("wrong item");

    await page.getByRole("button", { name: "Print Z report (close the day)" }).click();
    await eventually(() => page.locator("#report caption").textContent()).toMatch(/^Z report · period \d+ \(closed\)/);
    expect(await page.locator("#report table").innerText()).toMatch(/JPY\s+code\s+2 · JPY 2400\s+1 · JPY 900\s+1 · JPY 500\s+JPY 1000/);
  });

  test("after a reload the panel lists the day's payments from the journal: the refund and the void stay reachable", async () => {
    await page.reload();
    await page.locator("html[data-live]").waitFor({ state: "attached" });
    await eventually(() => page.locator("#recent-rows").innerText()).toContain("Voided");
    const rows = await page.locator("#recent-rows").innerText();
    expect(rows).toContain("refunded JPY 500");
    expect(rows).toContain("JPY 900");
    // The refunded (still approved) payment keeps its Refund and Void buttons.
    const refunded = page.getByRole("row").filter({ hasText: "refunded JPY 500" });
    expect(await refunded.getByRole("button", { name: /^Refund/ }).count()).toBe(1);
    await saveScreenshot(page, "cashier"); // README: the panel with a day's history after a reload
  });
});
