/**
 * Kanji on the simulated printer, from bytes written by hand after the Epson reference and the
 * Shift_JIS / JIS X 0208 code charts (合 = SJIS 8D 87 = JIS 39 67, 計 = SJIS 8C 76 = JIS 37 57,
 * 領 = SJIS 97 CC, 収 = 8E FB, 書 = 8F 91), never from the agent's encoder.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEscPosDecoder, ReceiptPrinterEmulator } from "../src/index.js";
import * as limits from "../src/limits.js";
import { decodeText, jisToShiftJis } from "../src/protocols/escpos/kanji-text.js";

const FS_C_SHIFT_JIS = [0x1c, 0x43, 0x01];
const FS_C_JIS = [0x1c, 0x43, 0x00];
const FS_AND = [0x1c, 0x26];
const FS_DOT = [0x1c, 0x2e];
const ESC_T_KATAKANA = [0x1b, 0x74, 0x01];
const LF = [0x0a];
const CUT = [0x1d, 0x56, 0x00];

function printedText(...chunks: number[][]): string {
  const printer = new ReceiptPrinterEmulator();
  for (const chunk of chunks) printer.receive(Buffer.from(chunk));
  const receipt = printer.snapshot().receipts.at(-1);
  expect(receipt?.cut).toBe(true);
  return receipt!.text;
}

describe("FS commands for kanji", () => {
  it("decodes FS &, FS . and FS C n (0/48 JIS, 1/49 Shift_JIS); another FS C value is unknown", () => {
    const commands = createEscPosDecoder().push(Buffer.from([...FS_AND, ...FS_DOT, ...FS_C_SHIFT_JIS, 0x1c, 0x43, 0x30, 0x1c, 0x43, 0x31, 0x1c, 0x43, 0x07]));
    expect(commands).toEqual([
      { type: "kanjiMode", on: true },
      { type: "kanjiMode", on: false },
      { type: "kanjiCodeSystem", system: "shift_jis" },
      { type: "kanjiCodeSystem", system: "jis" },
      { type: "kanjiCodeSystem", system: "shift_jis" },
      { type: "unknown", bytes: Buffer.from([0x1c, 0x43, 0x07]) },
    ]);
  });

  it("waits for FS C's parameter across chunks", () => {
    const decoder = createEscPosDecoder();
    expect(decoder.push(Buffer.from([0x1c, 0x43]))).toEqual([]);
    expect(decoder.push(Buffer.from([0x01]))).toEqual([{ type: "kanjiCodeSystem", system: "shift_jis" }]);
  });
});

describe("receipt text in kanji mode", () => {
  it("Shift_JIS: double-byte characters beside ASCII and half-width Katakana on one line", () => {
    const text = printedText([...ESC_T_KATAKANA, ...FS_C_SHIFT_JIS, ...FS_AND, 0x97, 0xcc, 0x8e, 0xfb, 0x8f, 0x91, ...FS_DOT, ...LF,
      ...FS_AND, 0x8d, 0x87, 0x8c, 0x76, 0x20, 0x20, 0xba, 0xb0, 0xcb, 0xb0, 0x20, ...Buffer.from("JPY 1200"), ...FS_DOT, ...LF, ...CUT]);
    expect(text).toBe("領収書\n合計  ｺｰﾋｰ JPY 1200");
  });

  it("JIS: every two bytes are one character", () => {
    expect(printedText([...FS_C_JIS, ...FS_AND, 0x39, 0x67, 0x37, 0x57, ...FS_DOT, ...LF, ...CUT])).toBe("合計");
  });

  it("a character split across two chunks still decodes", () => {
    expect(printedText([...FS_C_SHIFT_JIS, ...FS_AND, 0x8d], [0x87, 0x8c], [0x76, ...FS_DOT, ...LF, ...CUT])).toBe("合計");
  });

  it("without FS & the same bytes are not kanji: they print from the code table (PC437: ì ç î v)", () => {
    const text = printedText([...FS_C_SHIFT_JIS, 0x8d, 0x87, 0x8c, 0x76, ...LF, ...CUT]);
    expect(text).not.toContain("合");
    expect(text).toBe("ìçîv");
  });

  it("after FS . the Katakana table is back: 0xBA is ｺ, not half of a kanji", () => {
    expect(printedText([...ESC_T_KATAKANA, ...FS_C_SHIFT_JIS, ...FS_AND, 0x8d, 0x87, ...FS_DOT, 0xba, ...LF, ...CUT])).toBe("合ｺ");
  });

  it("a lead byte cut short by LF prints one replacement character and the next line is clean", () => {
    expect(printedText([...FS_C_SHIFT_JIS, ...FS_AND, 0x41, 0x8d, ...LF, 0x8c, 0x76, ...FS_DOT, ...LF, ...CUT])).toBe("A\uFFFD\n計");
  });

  it("ESC @ ends kanji mode", () => {
    const text = printedText([...FS_C_SHIFT_JIS, ...FS_AND, 0x1b, 0x40, 0x8d, 0x87, ...LF, ...CUT]);
    expect(text).toBe("ìç"); // PC437 again, not 合
  });

  it("a bad second byte is one replacement character and does not swallow what follows", () => {
    expect(decodeText(Uint8Array.of(0x8d, 0x20, 0x41), { codeTable: 0, kanjiMode: true, kanjiCodeSystem: "shift_jis" }, undefined)).toEqual({ text: "\uFFFDA", pendingByte: undefined });
  });

  it("JIS row/cell to Shift_JIS matches the code chart", () => {
    expect(jisToShiftJis(0x39, 0x67)).toEqual([0x8d, 0x87]);
    expect(jisToShiftJis(0x37, 0x57)).toEqual([0x8c, 0x76]);
    expect(jisToShiftJis(0x4e, 0x4e)).toEqual([0x97, 0xcc]); // 領
  });
});

describe("kanji mode fed random bytes", () => {
  it("never throws, and never makes more characters than bytes", () => {
    const modes = fc.record({ codeTable: fc.constantFrom(0, 1, 19), kanjiMode: fc.boolean(), kanjiCodeSystem: fc.constantFrom("jis" as const, "shift_jis" as const) });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), modes, fc.option(fc.integer({ min: 0x81, max: 0xfc }), { nil: undefined }), (bytes, textModes, pending) => {
      const decoded = decodeText(bytes, textModes, pending);
      expect([...decoded.text].length).toBeLessThanOrEqual(bytes.length + (pending === undefined ? 0 : 1));
    }), { numRuns: 500 });
  });

  it("the printer emulator survives random bytes after FS C 1 FS &", () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 8 }), (chunks) => {
      const printer = new ReceiptPrinterEmulator();
      printer.receive(Buffer.from([...FS_C_SHIFT_JIS, ...FS_AND]));
      for (const chunk of chunks) printer.receive(Buffer.from(chunk));
      printer.receive(Buffer.from([...FS_DOT, ...LF, ...CUT]));
      expect(printer.snapshot().receipts.length).toBeLessThanOrEqual(limits.receiptsKeptMax);
    }), { numRuns: 200 });
  });
});
