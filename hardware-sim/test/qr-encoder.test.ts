/** The dashboard's QR encoder against symbols made by an encoder nobody here wrote (libqrencode). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encodeQr, qrRows, reedSolomonDivisor, reedSolomonRemainder, type QrErrorCorrection } from "../src/dashboard-web/qr-encoder.js";

interface Reference {
  readonly symbols: readonly { text: string; errorCorrection: QrErrorCorrection; rows: string[] }[];
}

const reference = JSON.parse(readFileSync(new URL("./fixtures/qr-qrencode-reference.json", import.meta.url), "utf8")) as Reference;

/** The format bits say which mask qrencode chose: bits 10–12 of the first copy, read along row 8. */
function maskOf(rows: readonly string[]): number {
  const bits = [0, 1, 2, 3, 4, 5, 7, 8].map((x) => rows[8]![x]).join("") + [7, 5, 4, 3, 2, 1, 0].map((y) => rows[y]![8]).join("");
  return (Number.parseInt(bits, 2) ^ 0x5412) >>> 10 & 0b111;
}

describe("QR encoder (byte mode, versions 1-4, L and M)", () => {
  it("draws, module for module, the symbols libqrencode draws (same mask)", () => {
    expect(reference.symbols.map((symbol) => symbol.rows.length)).toEqual([21, 25, 25, 29, 33]);
    for (const symbol of reference.symbols) {
      const matrix = encodeQr(symbol.text, { errorCorrection: symbol.errorCorrection, mask: maskOf(symbol.rows) });
      expect(matrix, symbol.text).toBeDefined();
      expect(qrRows(matrix!), symbol.text).toEqual(symbol.rows);
    }
  });

  it("computes the Reed-Solomon codewords of the standard's worked example (HELLO WORLD, 1-M)", () => {
    const data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17];
    expect(reedSolomonRemainder(data, reedSolomonDivisor(10))).toEqual([196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
  });

  it("picks the smallest version and refuses what does not fit in version 4", () => {
    expect(encodeQr("x".repeat(14))).toHaveLength(21);
    expect(encodeQr("x".repeat(15))).toHaveLength(25);
    expect(encodeQr("x".repeat(62))).toHaveLength(33);
    expect(encodeQr("x".repeat(63))).toBeUndefined();
    expect(encodeQr("x".repeat(78), { errorCorrection: "L" })).toHaveLength(33);
    expect(() => encodeQr("x", { mask: 8 })).toThrow(RangeError);
  });
});
