/**
 * The page's wallet helpers are plain JavaScript (no build step), served beside messages.js and the
 * contract's build of short-reference.js. These tests take the files as the shopper API serves them
 * and import them side by side as a browser does.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { shortReference } from "@codepay/contract";
import { registerShopperPage } from "../../src/shopper-page/shopper-page.js";

type Money = { minor: number; currency: string };
interface WalletFormatModule {
  formatTime(language: string, epochMs: number, timeZone?: string): string;
  secondsLeft(deadlineMs: number, nowMs: number): number;
  fundsWarning(language: string, balances: Money[], amount: Money): string | undefined;
  balanceIn(language: string, balances: Money[], currency: string): string | undefined;
  referenceOf(payment: { reference?: string; shortReference?: string }): string | undefined;
  historyRow(language: string, payment: object, timeZone?: string): { store: string; time: string; amount: string; state: string; stateText: string };
  receiptRows(language: string, receipt: object, timeZone?: string): {
    lines: { text: string; amount?: string }[];
    total: string;
    time: string;
    paidWith: string;
    reference?: string;
    refunds: { label: string; amount: string; time: string }[];
  };
}

async function servedWalletFormat(): Promise<WalletFormatModule> {
  const app = Fastify();
  registerShopperPage(app, { codeLength: () => 7, codeLengthMin: 7, codeLengthMax: 12 });
  const directory = mkdtempSync(join(tmpdir(), "codepay-wallet-page-"));
  for (const file of ["wallet-format.js", "messages.js", "short-reference.js", "wallet-view.js"]) {
    const response = await app.inject({ url: `/assets/${file}` });
    if (response.statusCode !== 200) throw new Error(`GET /assets/${file}: ${response.statusCode}`);
    expect(response.headers["content-type"]).toMatch(/^text\/javascript/);
    writeFileSync(join(directory, file), response.body);
  }
  await app.close();
  return (await import(pathToFileURL(join(directory, "wallet-format.js")).href)) as WalletFormatModule;
}

const page = await servedWalletFormat();
const AT = Date.UTC(2030, 0, 1, 0, 41); // 09:41 in Tokyo
const payment = {
  paymentId: "pay-0001-abcd",
  storeName: "Demo Store",
  registerName: "Register 1",
  amount: { minor: 505, currency: "JPY" },
  state: "approved",
  createdAt: AT - 60_000,
  approvedAt: AT,
  reference: "4f2a91c3-0b1e-4c7d-9a55-2f6e8d1b3a70",
  refunds: [{ kind: "refund", amount: { minor: 105, currency: "JPY" }, at: AT + 3_600_000 }],
  refundedMinor: 105,
};

describe("the shopper page's wallet helpers (public/shopper/wallet-format.js)", () => {
  it("shortens a reference exactly as the server does (the contract's own code, served)", () => {
    expect(page.referenceOf({ reference: payment.reference })).toBe(shortReference(payment.reference));
    expect(page.referenceOf({ reference: payment.reference, shortReference: "ABCD-EFGH" })).toBe("ABCD-EFGH");
    expect(page.referenceOf({})).toBeUndefined();
  });

  it("counts a Retry-After down in whole seconds and stops at 0", () => {
    expect(page.secondsLeft(10_000, 0)).toBe(10);
    expect(page.secondsLeft(10_000, 100)).toBe(10);
    expect(page.secondsLeft(10_000, 9_001)).toBe(1);
    expect(page.secondsLeft(10_000, 10_000)).toBe(0);
    expect(page.secondsLeft(10_000, 60_000)).toBe(0);
  });

  it("warns before an approval the balance would not cover, in the payment's currency", () => {
    const balances = [{ currency: "EUR", minor: 5_000 }, { currency: "JPY", minor: 400 }];
    expect(page.fundsWarning("en", balances, { minor: 400, currency: "JPY" })).toBeUndefined();
    expect(page.fundsWarning("en", balances, { minor: 401, currency: "JPY" })).toBe("Your balance (¥400) does not cover ¥401: an approval would be declined.");
    expect(page.fundsWarning("ja", balances, { minor: 401, currency: "JPY" })).toBe("残高（￥400）では ￥401 を支払えません。承認しても断られます。");
    expect(page.fundsWarning("en", balances, { minor: 1, currency: "USD" })).toBe("You have no USD balance: an approval would be declined.");
    expect(page.balanceIn("en", balances, "EUR")).toBe("€50.00");
    expect(page.balanceIn("en", balances, "USD")).toBeUndefined();
  });

  it("writes times in the page's language and the phone's time zone", () => {
    expect(page.formatTime("en", AT, "Asia/Tokyo")).toBe("1 Jan 2030, 09:41");
    expect(page.formatTime("ja", AT, "Asia/Tokyo")).toBe("2030/01/01 9:41");
    expect(page.formatTime("en", AT, "UTC")).toBe("1 Jan 2030, 00:41");
  });

  it("says a payment's state with what was refunded", () => {
    expect(page.historyRow("en", payment, "Asia/Tokyo")).toMatchObject({ store: "Demo Store", amount: "¥505", time: "1 Jan 2030, 09:41", stateText: "Paid · ¥105 refunded" });
    expect(page.historyRow("ja", { ...payment, state: "declined", refunds: [], refundedMinor: 0 }).stateText).toBe("不成立");
    expect(page.historyRow("en", { ...payment, state: "voided", refundedMinor: 505 }).stateText).toBe("Voided");
  });

  it("lays a receipt out as the register printed it: items with amounts, notes without, the total", () => {
    const rows = page.receiptRows("en", { ...payment, lines: [{ text: "Tea", amountMinor: 500 }, { text: "Bag", amountMinor: 5 }, { text: "Thank you" }], tender: "code" }, "Asia/Tokyo");
    expect(rows.lines).toEqual([{ text: "Tea", amount: "¥500" }, { text: "Bag", amount: "¥5" }, { text: "Thank you", amount: undefined }]);
    expect(rows).toMatchObject({ total: "¥505", time: "1 Jan 2030, 09:41", paidWith: "Code Pay", reference: "4F2A-91C3" });
    expect(rows.refunds).toEqual([{ label: "Refund", amount: "¥105", time: "1 Jan 2030, 10:41" }]);
    expect(page.receiptRows("ja", { ...payment, lines: [], tender: "card", cardLast4: "4242" }).paidWith).toBe("カード ****4242");
  });
});
