/**
 * A Japanese receipt (language "ja") decoded by the simulated printer, in both printer encodings:
 * - katakana: the agent's bytes select the Katakana code table (ESC t 1) and carry JIS X 0201
 *   half-width Katakana, which the simulator shows as Unicode half-width Katakana;
 * - shift_jis: FS C 1 and kanji mode (FS & ... FS .) carry kanji, decoded by the simulator's own
 *   Shift_JIS reader (ICU), never the agent's encoder (iconv-lite).
 * The first tests put the bytes straight into the emulator; the last runs a card payment through the
 * whole system (server, agent, simulated devices on loopback TCP) with `printer.japanese: "shift_jis"`.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ReceiptPrinterEmulator, SimPhone } from "@codepay/hardware-sim";
import { buildReceipt } from "@codepay/terminal-agent/parts";
import { pollUntil } from "../helpers/poll-until.js";
import { startInProcessSystem, type InProcessSystem } from "../helpers/in-process-system.js";

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

describe("Japanese receipt with kanji (printer.japanese: shift_jis)", () => {
  const kanji = { ...base, storeName: "デモ商店 渋谷店", lines: [{ text: "珈琲（ホット）", amountMinor: 1200 }] };

  test("store name, 領収書, items, 合計 and the thanks decode as written; nothing unreadable", () => {
    const receipt = printed(buildReceipt({ ...kanji, language: "ja", cardLast4: "1111" }, { japanese: "shift_jis" }));
    expect(receipt.lines.map((line) => line.text)).toEqual(expect.arrayContaining(["デモ商店 渋谷店", "領収書", "レジ demo-reg-1", "カード ****1111", "決済 pay-ja-0001", "承認 tx-42", "ありがとうございました"]));
    expect(receipt.text).toMatch(/珈琲（ホット） +1200\n/);
    expect(receipt.text).toMatch(/合計 +JPY 1200/);
    expect(receipt.lines.find((line) => line.text.startsWith("デモ商店"))).toMatchObject({ align: "center", bold: true });
    expect(receipt.text).not.toContain("\uFFFD");
    expect(receipt.qr).toContain("pay-ja-0001");
  });

  test("a reprint is headed 再発行", () => {
    const receipt = printed(buildReceipt({ ...kanji, language: "ja", reprint: true }, { japanese: "shift_jis" }));
    expect(receipt.lines[0]?.text).toBe("*** 再発行 ***");
  });

  test("the same receipt on a katakana-only printer folds what it can and never leaks kanji bytes", () => {
    const receipt = printed(buildReceipt({ ...kanji, language: "ja" }, { japanese: "katakana" }));
    expect(receipt.text).toMatch(/ｺﾞｳｹｲ +JPY 1200/);
    expect(receipt.text).toContain("ﾃﾞﾓ?? ???");
    expect(receipt.text).not.toContain("\uFFFD");
  });
});

describe("a code payment at a register printing kanji, through the whole system", () => {
  let system: InProcessSystem;

  beforeAll(async () => {
    system = await startInProcessSystem({ transport: "tcp", language: "ja", printerJapanese: "shift_jis", storeName: "デモ商店" });
  });

  afterAll(async () => {
    await system?.stop();
  });

  test("the approved payment's receipt decodes with kanji on the simulated printer", async () => {
    const created = await system.cashier("/v1/payments", { amountMinor: 1200 });
    expect(created.status).toBe(201);
    const paymentId = created.body.payment!.paymentId;
    const code = await pollUntil("the payment's code", async () => (await system.payment(paymentId)).code);
    const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
    expect(await phone.claim(code)).toMatchObject({ ok: true });
    expect(await phone.approve(paymentId)).toMatchObject({ ok: true, value: { state: "approved" } });
    // The drawer kick is its own job in the print queue, sent once the printer has answered for the receipt.
    const receipt = await pollUntil("the receipt on the simulated printer, and its drawer kick", () =>
      system.devices.printer.snapshot().receipts.find((r) => r.text.includes(paymentId) && r.cut && r.drawerKicks > 0),
    );
    expect(receipt.text).toContain("デモ商店");
    expect(receipt.text).toContain("領収書");
    expect(receipt.text).toMatch(/合計 +JPY 1200/);
    expect(receipt.text).toContain("ありがとうございました");
    expect(receipt.text).not.toContain("\uFFFD");
    expect(receipt.drawerKicks).toBe(1);
    await pollUntil("the receipt counted printed", async () => ((await system.payment(paymentId)).receiptPrinted ? true : undefined));
  });
});
