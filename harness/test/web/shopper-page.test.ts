/// <reference lib="dom" />
// DOM types for the page.evaluate callbacks, which run in the browser.
/**
 * The shopper page in Debian's chromium at a phone's size, opened on the carrier gateway like a
 * phone would: a real payment end to end, then every result and error state, in English and Japanese.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import { requireToolOrSkip } from "@codepay/hardware-sim";
import { dammCheckDigit, withCheckDigit } from "@codepay/contract";
import { pollUntil } from "../helpers/poll-until.js";
import { eventually, systemWaitMs, webTestTimeoutMs, horizontalOverflow, launchChromium, startWebSystem, type WebSystem } from "./web-system.js";

const hasChromium = requireToolOrSkip("chromium", "browser tests");
const phone = { viewport: { width: 360, height: 760 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

describe.skipIf(!hasChromium)("shopper page", { timeout: webTestTimeoutMs }, () => {
  let system: WebSystem;
  let browser: Browser;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startWebSystem(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  const pageUrl = (path = "/pay"): string => `${system.server.gatewayUrl}${path}#phone=${system.seed.subscriberCredential}`;

  async function tapCode(page: Page, digits: string): Promise<void> {
    for (const digit of digits) await page.getByRole("button", { name: digit, exact: true }).click();
  }

  test("a phone pays a code: keypad entry with check-digit feedback, store and amount, approve, paid", async () => {
    const context = await browser.newContext({ ...phone, locale: "en-US" });
    context.setDefaultTimeout(systemWaitMs);
    const page = await context.newPage();
    const { paymentId, code } = await system.startPayment(1200);
    await page.goto(pageUrl());
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Pay with a code");

    const typo = code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);
    await tapCode(page, typo);
    expect(await page.getByLabel("Code on the register's display").inputValue()).toBe(`${typo.slice(0, -4)} ${typo.slice(-4)}`);
    await eventually(() => page.locator("#code-check").textContent()).toContain("typo");
    expect(await page.getByRole("button", { name: "Continue" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Delete the last digit" }).click();
    await tapCode(page, code.at(-1)!);
    await eventually(() => page.locator("#code-check").textContent()).toContain("looks right");

    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "Check and approve" }).waitFor();
    expect(await page.locator("#confirm-store").textContent()).toBe("Demo Store");
    expect(await page.locator("#confirm-register").textContent()).not.toBe("");
    expect(await page.locator("#confirm-amount").textContent()).toBe("¥1,200");
    expect(await page.locator("#pin-group").isHidden()).toBe(true);

    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { name: "Paid" }).waitFor();
    expect(await page.getByRole("status").textContent()).toContain("¥1,200");
    const approved = await pollUntil("the register's receipt", async () => {
      const view = await system.payment(paymentId);
      return view.state === "approved" && view.receiptPrinted ? view : undefined;
    }, systemWaitMs);
    expect(approved.amount).toEqual({ minor: 1200, currency: "JPY" });
    expect(await horizontalOverflow(page)).toBe(0);
    await page.getByRole("button", { name: "Pay another code" }).click();
    await page.getByRole("heading", { name: "Pay with a code" }).waitFor();
    expect(await page.getByLabel("Code on the register's display").inputValue()).toBe("");
    await context.close();
  });

  describe("in Japanese at 320 px, by keyboard", () => {
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      // Accept-Language: ja-JP picks Japanese (no ?lang in the address).
      context = await browser.newContext({ viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true, locale: "ja-JP" });
      context.setDefaultTimeout(systemWaitMs);
      page = await context.newPage();
      await page.goto(pageUrl("/"));
      await page.getByRole("heading", { name: "コードで支払う" }).waitFor();
    });

    afterAll(async () => {
      await context?.close();
    });

    async function enterCode(code: string): Promise<void> {
      if (await page.getByRole("button", { name: "別のコードで支払う" }).isVisible()) await page.getByRole("button", { name: "別のコードで支払う" }).click();
      else if (await page.locator("#step-code").isHidden()) await page.goto(pageUrl("/"));
      await page.getByLabel("レジの表示のコード").fill("");
      await page.getByLabel("レジの表示のコード").focus();
      await page.keyboard.type(code);
      await page.keyboard.press("Enter");
    }

    async function fakeApi(path: string, answers: { status: number; body: unknown; headers?: Record<string, string> }[], seen: unknown[] = []): Promise<unknown[]> {
      await page.unroute(`**/api/v1/${path}`);
      await page.route(`**/api/v1/${path}`, async (route: Route) => {
        seen.push(route.request().postDataJSON());
        const answer = answers.shift() ?? { status: 500, body: { error: { code: "INTERNAL", message: "no more answers" } } };
        await route.fulfill({ status: answer.status, contentType: "application/json", body: JSON.stringify(answer.body), ...("headers" in answer ? { headers: answer.headers } : {}) });
      });
      return seen;
    }

    /** A code that passes its check digit; the faked answers below decide what the server says. */
    const anyValidCode = withCheckDigit("424242");
    const claimed = { paymentId: "fake-payment-1", storeName: "デモ店", registerId: "demo-reg-1", registerName: "レジ 1", amount: { minor: 54000, currency: "JPY" }, expiresAt: Date.now() + 90_000 };

    test("fits 320 px without horizontal scrolling, labelled for screen readers", async () => {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe("ja");
      expect(await page.getByRole("group", { name: "数字キーパッド" }).getByRole("button").count()).toBe(12);
      expect(await page.getByRole("button", { name: "最後の数字を削除" }).count()).toBe(1);
    });

    test("a well-formed code that no payment holds is refused in place", async () => {
      const unknown = ["100000", "200000", "300000"].map((digits) => digits + String(dammCheckDigit(digits)))[0]!;
      await enterCode(unknown);
      await eventually(() => page.getByRole("alert").filter({ hasText: "このコードの支払いはありません" }).count()).toBe(1);
      expect(await page.locator("#step-code").isVisible()).toBe(true);
    });

    test("a code the register cancelled says so", async () => {
      const { paymentId, code } = await system.startPayment(800);
      await system.cancel(paymentId);
      await enterCode(code);
      await page.getByRole("heading", { name: "支払いは取り消されました" }).waitFor();
    });

    test("expired and locked-out answers each get their own screen", async () => {
      await page.unroute("**/api/v1/claims");
      await fakeApi("claims", [{ status: 410, body: { error: { code: "CODE_EXPIRED", message: "expired" } } }]);
      await enterCode(anyValidCode);
      await page.getByRole("heading", { name: "コードの期限切れ" }).waitFor();
      await fakeApi("claims", [{ status: 429, body: { error: { code: "PHONE_LOCKED", message: "locked" } } }]);
      await enterCode(anyValidCode);
      await page.getByRole("heading", { name: "試行回数が多すぎます" }).waitFor();
      expect(await page.locator("#result-detail").textContent()).toBe("数分待ってからもう一度お試しください。");
      // With Retry-After (as the server sends it) the shopper is told how long to wait.
      await fakeApi("claims", [{ status: 429, body: { error: { code: "PHONE_LOCKED", message: "locked" } }, headers: { "retry-after": "150" } }]);
      await enterCode(anyValidCode);
      // Counted down live from there (shopper-wallet.test.ts waits for the end of a short one).
      await eventually(() => page.locator("#result-detail").textContent()).toMatch(/^2分(30|29|28)秒後にもう一度お試しください。$/);
      await fakeApi("claims", [{ status: 429, body: { error: { code: "RATE_LIMITED", message: "slow down" } }, headers: { "retry-after": "7" } }]);
      await enterCode(anyValidCode);
      await page.getByRole("heading", { name: "リクエストが多すぎます" }).waitFor();
      expect(await page.locator("#result-detail").textContent()).toMatch(/^[4-7]秒後にもう一度お試しください。$/);
    });

    test("the PIN field appears when the server asks for a PIN, and the PIN is sent", async () => {
      await fakeApi("claims", [{ status: 200, body: claimed }]);
      const approvals = await fakeApi("payments/*/approve", [
        { status: 403, body: { error: { code: "PIN_REQUIRED", message: "PIN needed" } } },
        { status: 403, body: { error: { code: "PIN_WRONG", message: "wrong PIN" } } },
        { status: 200, body: { paymentId: claimed.paymentId, state: "approved", amount: claimed.amount, reference: "tr-1" } },
      ]);
      await enterCode(anyValidCode);
      await page.getByRole("heading", { name: "確認して承認" }).waitFor();
      expect(await page.locator("#confirm-amount").textContent()).toMatch(/[￥¥]54,000/);
      expect(await page.getByLabel("暗証番号").isVisible()).toBe(false);
      await page.getByRole("button", { name: "承認する" }).click();
      await page.getByLabel("暗証番号").waitFor();
      await eventually(() => page.evaluate(() => document.activeElement?.id)).toBe("pin-input");
      await page.keyboard.type("1234");
      await page.keyboard.press("Enter");
      await eventually(() => page.getByRole("alert").filter({ hasText: "暗証番号が違います" }).count()).toBe(1);
      await page.keyboard.type("4321");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "支払いました" }).waitFor();
      expect(approvals).toHaveLength(3);
      expect(approvals[0]).not.toHaveProperty("pin");
      expect(approvals[1]).toMatchObject({ pin: "1234" });
      expect(approvals[2]).toMatchObject({ pin: "4321" });
      expect(new Set(approvals.map((body) => (body as { requestId: string }).requestId)).size).toBe(3);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    });

    test("takes a longer code than the page expects (the server lengthened its codes as registers were added)", async () => {
      // The page says 7 digits; a chain's server may since issue up to 12 (data-code-length-max).
      expect(await page.evaluate(() => document.documentElement.dataset.codeLengthMax)).toBe("12");
      const longCode = withCheckDigit("482913705");
      const claims = await fakeApi("claims", [{ status: 200, body: claimed }]);
      if (await page.getByRole("button", { name: "別のコードで支払う" }).isVisible()) await page.getByRole("button", { name: "別のコードで支払う" }).click();
      else await page.goto(pageUrl("/"));
      const input = page.getByLabel("レジの表示のコード");
      await input.fill("");
      await input.focus();
      await page.keyboard.type(longCode);
      // Grouped as on the pole display (three groups past 8 digits), and sendable.
      expect(await input.inputValue()).toBe("482 913 7054");
      await eventually(() => page.getByRole("button", { name: "次へ" }).isDisabled()).toBe(false);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "確認して承認" }).waitFor();
      expect(claims).toHaveLength(1);
      expect(claims[0]).toMatchObject({ code: longCode });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
      // Back to code entry for the next test (the credential stays in the tab's session storage).
      await page.reload();
      await page.getByRole("heading", { name: "コードで支払う" }).waitFor();
    });

    test("a declined approval (insufficient funds) says nothing was paid", async () => {
      await fakeApi("claims", [{ status: 200, body: claimed }]);
      await fakeApi("payments/*/approve", [{ status: 402, body: { error: { code: "INSUFFICIENT_FUNDS", message: "no" } } }]);
      await enterCode(anyValidCode);
      await page.getByRole("button", { name: "承認する" }).click();
      await page.getByRole("heading", { name: "支払いできませんでした" }).waitFor();
      expect(await page.getByRole("status").textContent()).toContain("残高が足りません");
    });
  });
});
