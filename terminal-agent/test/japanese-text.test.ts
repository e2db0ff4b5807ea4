/**
 * Japanese receipt text in each printer model's encoding: the bytes, checked against the Shift_JIS
 * and JIS X 0201 code charts (合 = 8D 87, 計 = 8C 76; ｺ = BA), not against another encoder.
 */
import { describe, expect, it } from "vitest";
import { createEscPosDecoder } from "@codepay/hardware-sim";
import { encodeJapaneseText, japanesePreamble } from "../src/protocols/escpos/japanese-text.js";
import { buildReceipt } from "../src/protocols/escpos/receipt.js";

const FS_AND = [0x1c, 0x26];
const FS_DOT = [0x1c, 0x2e];

const receipt = {
  storeName: "デモ商店",
  registerId: "reg-1",
  paymentId: "pay-kanji-1",
  amount: { minor: 1200, currency: "JPY" as const },
  lines: [{ text: "珈琲", amountMinor: 1200 }],
  printedAt: Date.UTC(2026, 10, 25, 9, 41),
  language: "ja" as const,
};

describe("Shift_JIS text (printers with a kanji font)", () => {
  it("wraps double-byte characters in FS & ... FS . and counts two columns each", () => {
    const encoded = encodeJapaneseText("合計", "shift_jis");
    expect([...encoded.bytes]).toEqual([...FS_AND, 0x8d, 0x87, 0x8c, 0x76, ...FS_DOT]);
    expect(encoded.columns).toBe(4);
  });

  it("leaves single-byte text (ASCII, half-width Katakana) outside kanji mode", () => {
    const encoded = encodeJapaneseText("ｺｰﾋｰ 12", "shift_jis");
    expect([...encoded.bytes]).toEqual([0xba, 0xb0, 0xcb, 0xb0, 0x20, 0x31, 0x32]);
    expect(encoded.columns).toBe(7);
  });

  it("mixes single and double bytes in one kanji-mode line; a missing character and control bytes become ?", () => {
    const encoded = encodeJapaneseText("レジ reg-1 €\n", "shift_jis");
    expect([...encoded.bytes]).toEqual([...FS_AND, 0x83, 0x8c, 0x83, 0x57, ...Buffer.from(" reg-1 ??"), ...FS_DOT]);
    expect(encoded.columns).toBe(13);
  });

  it("the preamble selects the Katakana table and the Shift_JIS code system", () => {
    expect([...japanesePreamble("shift_jis")]).toEqual([0x1b, 0x74, 0x01, 0x1c, 0x43, 0x01]);
    expect([...japanesePreamble("katakana")]).toEqual([0x1b, 0x74, 0x01]);
  });
});

describe("Katakana text (every printer)", () => {
  it("folds full-width Katakana and Hiragana to half-width, kanji print as ?", () => {
    const encoded = encodeJapaneseText("コーヒー ありがとう 合計", "katakana");
    expect(encoded.bytes.toString("latin1")).toBe(Buffer.from([0xba, 0xb0, 0xcb, 0xb0, 0x20, 0xb1, 0xd8, 0xb6, 0xde, 0xc4, 0xb3, 0x20, 0x3f, 0x3f]).toString("latin1"));
    expect(encoded.columns).toBe(encoded.bytes.length);
  });
});

describe("buildReceipt with japanese: shift_jis", () => {
  const bytes = buildReceipt(receipt, { japanese: "shift_jis" });

  it("selects Shift_JIS once and carries 領収書, 合計 and the store name as Shift_JIS in kanji mode", () => {
    expect(bytes.includes(Buffer.from([0x1b, 0x74, 0x01, 0x1c, 0x43, 0x01]))).toBe(true);
    expect(bytes.includes(Buffer.from([...FS_AND, 0x97, 0xcc, 0x8e, 0xfb, 0x8f, 0x91, ...FS_DOT]))).toBe(true); // 領収書
    expect(bytes.includes(Buffer.from([...FS_AND, 0x8d, 0x87, 0x8c, 0x76, ...FS_DOT]))).toBe(true); // 合計
  });

  it("every byte is a command the printer knows (no unknown or resync)", () => {
    const commands = createEscPosDecoder().push(bytes);
    expect(commands.filter((command) => command.type === "unknown" || command.type === "resync")).toEqual([]);
    expect(commands.filter((command) => command.type === "kanjiMode").length).toBeGreaterThan(4);
  });

  it("the total line fills the 42 columns: 合計 counts as four", () => {
    const total = Buffer.from([...FS_AND, 0x8d, 0x87, 0x8c, 0x76, ...FS_DOT]);
    const start = bytes.indexOf(total);
    const end = bytes.indexOf(0x0a, start);
    const columns = end - start - FS_AND.length - FS_DOT.length;
    expect(columns).toBe(42);
    expect(bytes.subarray(start + total.length, end).toString("latin1")).toMatch(/^ +JPY 1200$/);
  });

  it("the katakana model (default) sends no kanji switches", () => {
    const katakana = buildReceipt(receipt);
    expect(katakana.includes(Buffer.from([0x1c, 0x43]))).toBe(false);
    expect(katakana.includes(Buffer.from(FS_AND))).toBe(false);
    expect(buildReceipt(receipt, { japanese: "katakana" }).equals(katakana)).toBe(true);
  });

  it("English receipts ignore the setting", () => {
    const english = { ...receipt, language: "en" as const, storeName: "Demo", lines: [] };
    expect(buildReceipt(english, { japanese: "shift_jis" }).equals(buildReceipt(english))).toBe(true);
  });
});
