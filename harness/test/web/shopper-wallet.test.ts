/// <reference lib="dom" />
// DOM types for the page.evaluate callbacks, which run in the browser.
/**
 * The shopper's wallet in Debian's chromium at 375 px, opened on the carrier gateway as a phone
 * would: the balance before approval, pay, the receipt at once with the lines the register sent,
 * then the history and the receipt again from it, by keyboard; a warning before an approval the
 * balance does not cover; a live Retry-After countdown; older pages; Japanese.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import { requireToolOrSkip } from "@codepay/hardware-sim";
import { withCheckDigit } from "@codepay/contract";
import { eventually, systemWaitMs, webTestTimeoutMs, horizontalOverflow, launchChromium, saveScreenshot, startWebSystem, type WebSystem } from "./web-system.js";

const hasChromium = requireToolOrSkip("chromium", "browser tests");
const phone = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const LINES = [
  { text: "Green tea 500ml", amountMinor: 180 },
  { text: "Rice ball (salmon) x2", amountMinor: 320 },
  { text: "Bag", amountMinor: 5 },
  { text: "Points are not earned on this bill" },
];

describe.skipIf(!hasChromium)("shopper wallet", { timeout: webTestTimeoutMs }, () => {
  let system: WebSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startWebSystem(), launchChromium()]);
    context = await browser.newContext({ ...phone, locale: "en-US", timezoneId: "Asia/Tokyo" });
    context.setDefaultTimeout(systemWaitMs);
    page = await context.newPage();
    await page.goto(`${system.server.gatewayUrl}/pay#phone=${system.seed.subscriberCredential}`);
    await page.getByRole("heading", { name: "Pay with a code" }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await system?.stop();
  });

  const paperReceipt = (paymentId: string): string | undefined => system.devices.printer.snapshot().receipts.find((r) => r.text.includes(paymentId) && r.cut)?.text;

  async function enterCode(code: string): Promise<void> {
    if (await page.locator("#step-code").isHidden()) await page.getByRole("button", { name: "Pay", exact: true }).click();
    const input = page.getByLabel("Code on the register's display");
    await input.fill("");
    await input.focus();
    await page.keyboard.type(code);
    await page.keyboard.press("Enter");
  }

  test("pay: the balance before approval, then the receipt at once with the register's lines, a short reference and the time", async () => {
    const { paymentId, code } = await system.startPayment(505, LINES);
    await enterCode(code);
    await page.getByRole("heading", { name: "Check and approve" }).waitFor();
    await eventually(() => page.locator("#confirm-balance").textContent()).toBe("¥1,000,000");
    expect(await page.locator("#confirm-funds").isHidden()).toBe(true);

    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { name: "Paid" }).waitFor();
    const detail = (await page.locator("#result-detail").textContent()) ?? "";
    expect(detail).toMatch(/^Demo Store has your payment\. Reference [0-9A-F]{4}-[0-9A-F]{4} · \d{1,2} \w{3} \d{4}, \d{2}:\d{2}$/);
    const shortReference = /Reference ([0-9A-F]{4}-[0-9A-F]{4})/.exec(detail)![1]!;
    const receipt = page.getByRole("article", { name: "Receipt" });
    // The full receipt replaces the one drawn at once: the register's lines arrive from the server.
    await eventually(() => receipt.getByRole("cell", { name: "Green tea 500ml" }).count()).toBe(1);
    expect(await receipt.getByRole("row").allTextContents()).toEqual([
      "ItemsAmount",
      "Green tea 500ml¥180",
      "Rice ball (salmon) x2¥320",
      "Bag¥5",
      "Points are not earned on this bill",
      "Total¥505",
    ]);
    expect(await receipt.locator(".reference").textContent()).toBe(shortReference);
    expect(await receipt.textContent()).toContain(`Payment: ${paymentId}`);
    expect(await receipt.textContent()).toContain("Register 1");
    // The register's paper receipt (the simulated printer's decoded text) has the same lines and the
    // reference in full, which the digital receipt shows in small print and whose start is the short one.
    await eventually(() => paperReceipt(paymentId) !== undefined).toBe(true);
    const paper = paperReceipt(paymentId)!;
    for (const line of LINES) expect(paper).toContain(line.text);
    const reference = /REF (\S+)/.exec(paper)![1]!;
    expect(reference.replaceAll("-", "").slice(0, 8).toUpperCase()).toBe(shortReference.replace("-", ""));
    expect(await receipt.textContent()).toContain(reference);
    expect(await horizontalOverflow(page)).toBe(0);
    await saveScreenshot(page, "shopper");
  });

  test("history: the payment is listed first with its refund, and its receipt opens and closes by keyboard", async () => {
    const paid = (await page.locator("#result-receipt .small-print").textContent())!;
    const paymentId = /Payment: (\S+)$/.exec(paid)![1]!;
    await system.refund(paymentId, 105);
    await page.getByRole("button", { name: "Wallet" }).click();
    await page.getByRole("heading", { name: "Wallet", level: 1 }).waitFor();
    expect(await page.getByRole("button", { name: "Wallet" }).getAttribute("aria-current")).toBe("page");
    await eventually(() => page.getByRole("list", { name: "Balance" }).textContent()).toBe("¥999,600");
    const first = page.getByRole("list", { name: "Payments" }).getByRole("button").first();
    await eventually(() => first.textContent()).toMatch(/^Demo Store¥505\d{1,2} \w{3} \d{4}, \d{2}:\d{2}Paid · ¥105 refunded$/);
    expect(await horizontalOverflow(page)).toBe(0);

    await first.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Receipt", level: 1 }).waitFor();
    await eventually(() => page.evaluate(() => document.activeElement?.id)).toBe("receipt-title");
    await eventually(() => page.locator("#receipt-body").getByRole("cell", { name: "Rice ball (salmon) x2" }).count()).toBe(1);
    expect(await page.locator("#receipt-body").getByRole("heading", { name: "Refunds" }).count()).toBe(1);
    expect(await page.locator("#receipt-body .refunds li").textContent()).toMatch(/^Refund ¥105 · /);
    await page.getByRole("button", { name: "Back to the wallet" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Wallet", level: 1 }).waitFor();
    // Focus comes back to the payment that was opened.
    await eventually(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.paymentId ?? "")).not.toBe("");
  });

  test("an approval the balance does not cover is warned about before the shopper approves", async () => {
    const { paymentId, code } = await system.startPayment(1_500_000);
    await enterCode(code);
    await page.getByRole("heading", { name: "Check and approve" }).waitFor();
    const warning = page.getByRole("alert").filter({ hasText: "does not cover" });
    await eventually(() => warning.textContent()).toBe("Your balance (¥999,600) does not cover ¥1,500,000: an approval would be declined.");
    await page.getByRole("button", { name: "Decline" }).click();
    await page.getByRole("heading", { name: "Payment declined" }).waitFor();
    await eventually(async () => (await system.payment(paymentId)).state).toBe("declined");
    await page.getByRole("button", { name: "Wallet" }).click();
    await eventually(() => page.getByRole("list", { name: "Payments" }).getByRole("button").allTextContents()).toEqual([
      expect.stringMatching(/^Demo Store¥1,500,000.*Declined$/),
      expect.stringMatching(/^Demo Store¥505.*Paid · ¥105 refunded$/),
    ]);
    await saveScreenshot(page, "shopper-wallet");
  });

  test("a Retry-After counts down to 'try again now' instead of standing still", async () => {
    await page.route("**/api/v1/claims", (route: Route) =>
      route.fulfill({ status: 429, contentType: "application/json", headers: { "retry-after": "3" }, body: JSON.stringify({ error: { code: "PHONE_LOCKED", message: "locked" } }) }),
    );
    await enterCode(withCheckDigit("424242"));
    await page.getByRole("heading", { name: "Too many attempts" }).waitFor();
    await eventually(() => page.locator("#result-detail").textContent()).toMatch(/^Try again in [123] s\.$/);
    await eventually(() => page.locator("#result-detail").textContent()).toBe("Try again in 1 s.");
    await eventually(() => page.locator("#result-detail").textContent(), 5_000).toBe("You can try again now.");
    // Screen readers hear the wait once and the end, not every second.
    expect(await page.locator("#result-spoken").textContent()).toBe("You can try again now.");
    await page.unroute("**/api/v1/claims");
  });

  test("older payments come in pages; the next page's first payment gets the focus", async () => {
    const payment = (id: string, minor: number) => ({ paymentId: id, storeName: "Demo Store", registerName: "Register 1", amount: { minor, currency: "JPY" }, state: "approved", createdAt: Date.UTC(2030, 0, 1), approvedAt: Date.UTC(2030, 0, 1), reference: "4f2a91c3-0b1e-4c7d-9a55-2f6e8d1b3a70", shortReference: "4F2A-91C3", refunds: [], refundedMinor: 0 });
    const requested: string[] = [];
    await page.route("**/api/v1/wallet/payments?*", (route: Route) => {
      const url = new URL(route.request().url());
      requested.push(url.search);
      const older = url.searchParams.get("before") === "page-2";
      const body = older
        ? { payments: [{ ...payment("older-payment-1", 300), refunds: [{ kind: "refund", amount: { minor: 100, currency: "JPY" }, at: Date.UTC(2030, 0, 2) }], refundedMinor: 100 }] }
        : { payments: [payment("newer-payment-1", 200)], next: "page-2" };
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
    });
    await page.getByRole("button", { name: "Wallet" }).click();
    const list = page.getByRole("list", { name: "Payments" });
    await eventually(() => list.getByRole("button").count()).toBe(1);
    await page.getByRole("button", { name: "Show older payments" }).click();
    await eventually(() => list.getByRole("button").count()).toBe(2);
    expect(await list.getByRole("button").nth(1).textContent()).toContain("Paid · ¥100 refunded");
    await eventually(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.paymentId)).toBe("older-payment-1");
    expect(await page.getByRole("button", { name: "Show older payments" }).isHidden()).toBe(true);
    expect(requested).toEqual(["?limit=10", "?limit=10&before=page-2"]);
    await page.unroute("**/api/v1/wallet/payments?*");
  });

  test("in Japanese: the wallet, its balance and the receipt's words", async () => {
    await page.goto(`${system.server.gatewayUrl}/pay?lang=ja`);
    await page.getByRole("button", { name: "ウォレット" }).click();
    await page.getByRole("heading", { name: "ウォレット", level: 1 }).waitFor();
    await eventually(() => page.getByRole("list", { name: "残高" }).textContent()).toMatch(/^[￥¥]999,600$/);
    const first = page.getByRole("list", { name: "支払い履歴" }).getByRole("button").filter({ hasText: "支払い済み" }).first();
    await eventually(() => first.textContent()).toMatch(/^Demo Store[￥¥]505.*支払い済み · [￥¥]105 返金済み$/);
    await first.click();
    await page.getByRole("heading", { name: "レシート", level: 1 }).waitFor();
    await eventually(() => page.locator("#receipt-body").getByRole("rowheader", { name: "合計" }).count()).toBe(1);
    expect(await page.locator("#receipt-body").textContent()).toContain("参照番号");
    expect(await horizontalOverflow(page)).toBe(0);
  });
});
