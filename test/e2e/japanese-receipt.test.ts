/**
 * A Japanese receipt (language "ja") decoded by the simulated printer: the agent's bytes select the
 * Katakana code table (ESC t 1) and carry JIS X 0201 half-width Katakana, which the simulator shows
 * as Unicode half-width Katakana. No pseudo-terminal: the bytes go straight into the emulator.
 */
import { describe, expect, test } from "vitest";
import { ReceiptPrinterEmulator } from "@codepay/hardware-sim";
import { buildReceipt } from "../../terminal-agent/src/protocols/escpos/receipt.js";

const base = {
  storeName: "デモストア",
  registerId: "demo-reg-1",
  paymentId: "pay-ja-0001",
  amount: { minor: 1200, currency: "JPY" as const },
  lines: [{ text: "コーヒー", amountMinor: 1200 }],
  reference: "tx-42",
  printedAt: Date.UTC(2026, 10, 25, 9, 41),
};

function printed(bytes: Buffer) {
  const printer = new ReceiptPrinterEmulator();
  printer.receive(bytes);
  const receipt = printer.snapshot().receipts.at(-1);
  expect(receipt?.cut).toBe(true);
  return receipt!;
}

describe("Japanese receipt on the simulated printer", () => {
  test("labels, store name and items decode as half-width Katakana; amounts, ids and the QR stay", () => {
    const bytes = buildReceipt({ ...base, language: "ja", cardLast4: "1111" });
    expect(bytes.includes(Buffer.from([0x1b, 0x74, 0x01]))).toBe(true); // ESC t 1
    const receipt = printed(bytes);
    expect(receipt.text).toContain("ﾃﾞﾓｽﾄｱ");
    expect(receipt.text).toMatch(/ｺｰﾋｰ +JPY 1200|ｺｰﾋｰ +1200/);
    expect(receipt.text).toMatch(/ｺﾞｳｹｲ +JPY 1200/);
    expect(receipt.text).toContain("ｶｰﾄﾞ ****1111");
    expect(receipt.text).toContain("ｹｯｻｲ pay-ja-0001");
    expect(receipt.text).toContain("ｱﾘｶﾞﾄｳｺﾞｻﾞｲﾏｼﾀ");
    expect(receipt.text).not.toContain("\uFFFD");
    expect(receipt.qr).toContain("pay-ja-0001");
  });

  test("English stays as it was (no code table switch)", () => {
    const bytes = buildReceipt({ ...base, storeName: "Demo Store", lines: [{ text: "Coffee", amountMinor: 1200 }] });
    expect(bytes.includes(Buffer.from([0x1b, 0x74, 0x01]))).toBe(false);
    const receipt = printed(bytes);
    expect(receipt.text).toMatch(/TOTAL +JPY 1200/);
    expect(receipt.text).toContain("CODE PAY");
  });
});
