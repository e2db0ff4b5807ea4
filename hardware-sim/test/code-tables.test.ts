/**
 * The simulated printer's code tables, checked with byte sequences as the Epson ESC/POS reference
 * and the IBM code charts give them: `ESC t n` selects the table (0 PC437, 2 PC850, 19 PC858), then
 * each byte above 0x7F is the chart's character.
 */
import { describe, expect, it } from "vitest";
import { ReceiptPrinterEmulator } from "../src/index.js";
import { CODE_TABLE_PC437, CODE_TABLE_PC850, CODE_TABLE_PC858, decodeCodeTableBytes } from "../src/protocols/code-tables.js";

const ESC = 0x1b;
const bytes = (...values: Array<number | string>) => Buffer.concat(values.map((value) => (typeof value === "string" ? Buffer.from(value, "latin1") : Buffer.from([value]))));

function printed(...values: Array<number | string>): string {
  const printer = new ReceiptPrinterEmulator();
  printer.receive(bytes(ESC, 0x40, ...values, 0x1d, 0x56, 0x00)); // ESC @ ... GS V 0 (cut)
  return printer.snapshot().receipts.at(-1)!.text;
}

describe("ESC t code tables on the simulated printer", () => {
  it("PC437 (ESC t 0): German and French text", () => {
    // G r ü(81) ß(E1) e   a u s   K ö(94) l n / C a f é(82)   c r è(8A) m e
    expect(printed(ESC, 0x74, 0, "Gr", 0x81, 0xe1, "e aus K", 0x94, "ln\n", "Caf", 0x82, " cr", 0x8a, "me\n")).toBe("Grüße aus Köln\nCafé crème");
  });

  it("PC850 (ESC t 2): the same letters, plus the Latin-1 ones PC437 lacks", () => {
    // ø(9B) Ø(9D) Á(B5) ã(C6) Ê(D2) Ó(E0) õ(E4) ¾(F3)
    expect(printed(ESC, 0x74, 2, "Gr", 0x81, 0xe1, "e aus K", 0x94, "ln ", 0x9b, 0x9d, 0xb5, 0xc6, 0xd2, 0xe0, 0xe4, 0xf3, "\n")).toBe("Grüße aus Köln øØÁãÊÓõ¾");
  });

  it("PC858 (ESC t 19): PC850 with the euro sign at D5", () => {
    expect(printed(ESC, 0x74, 19, "Caf", 0x82, " cr", 0x8a, "me ", 0xd5, "3,50\n")).toBe("Café crème €3,50");
  });

  it("WPC1252 (ESC t 16): € at 80, typographic quotes, Latin-1 above A0", () => {
    expect(printed(ESC, 0x74, 16, 0x80, "5 ", 0x93, "Caf", 0xe9, 0x94, " Gr", 0xfc, 0xdf, "e\n")).toBe("€5 “Café” Grüße");
  });

  it("the tables differ where the charts differ (9B, D5, E0, F3)", () => {
    const cells = Buffer.from([0x9b, 0xd5, 0xe0, 0xf3, 0xb0, 0xff]);
    expect(decodeCodeTableBytes(cells, CODE_TABLE_PC437)).toBe("¢╒α≤░\u00a0");
    expect(decodeCodeTableBytes(cells, CODE_TABLE_PC850)).toBe("øıÓ¾░\u00a0");
    expect(decodeCodeTableBytes(cells, CODE_TABLE_PC858)).toBe("ø€Ó¾░\u00a0");
  });

  it("every byte 80-FF has a character in each of the three tables (no U+FFFD)", () => {
    const high = Buffer.from(Array.from({ length: 128 }, (_, index) => 0x80 + index));
    for (const table of [CODE_TABLE_PC437, CODE_TABLE_PC850, CODE_TABLE_PC858]) {
      const text = decodeCodeTableBytes(high, table);
      expect([...text]).toHaveLength(128);
      expect(text).not.toContain("\uFFFD");
      expect(new Set(text).size).toBe(128);
    }
  });
});
