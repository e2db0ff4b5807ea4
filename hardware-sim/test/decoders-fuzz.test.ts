import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  CardReaderEmulator, createEpsonDisplayDecoder, createEscPosDecoder, DISPLAY_COLUMNS, limits, parseTrackLine,
  PoleDisplayEmulator, ReceiptPrinterEmulator,
} from "../src/index.js";

const chunks = fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 });
// Bytes biased towards command prefixes, so the parsers' branches get exercised.
const commandish = fc.array(
  fc.oneof(fc.constantFrom(0x1b, 0x1d, 0x1f, 0x10, 0x1c, 0x0a, 0x0d, 0x28, 0x6b, 0x24, 0x56, 0x70), fc.integer({ min: 0, max: 255 })),
  { maxLength: 3000 },
).map((values) => Buffer.from(values));

describe("decoders never throw and stay bounded on random bytes", () => {
  it("display: screen stays 2x20, cursor in range, pending bytes bounded", () => {
    fc.assert(fc.property(chunks, commandish, (parts, extra) => {
      const display = new PoleDisplayEmulator();
      const decoder = createEpsonDisplayDecoder();
      for (const part of [...parts.map((p) => Buffer.from(p)), extra]) {
        display.receive(part);
        decoder.push(part);
        expect(decoder.pendingBytes).toBeLessThanOrEqual(limits.frameBytesMax);
      }
      const snapshot = display.snapshot();
      expect(snapshot.lines.every((line) => line.length === DISPLAY_COLUMNS)).toBe(true);
      expect(snapshot.cursor.row).toBeGreaterThanOrEqual(1);
      expect(snapshot.cursor.row).toBeLessThanOrEqual(2);
      expect(snapshot.cursor.col).toBeGreaterThanOrEqual(1);
      expect(snapshot.cursor.col).toBeLessThanOrEqual(DISPLAY_COLUMNS);
    }), { numRuns: 300 });
  });

  it("printer: never throws, pending bytes and receipts bounded", () => {
    fc.assert(fc.property(chunks, commandish, (parts, extra) => {
      const printer = new ReceiptPrinterEmulator();
      const decoder = createEscPosDecoder();
      for (const part of [...parts.map((p) => Buffer.from(p)), extra]) {
        printer.receive(part);
        decoder.push(part);
        expect(decoder.pendingBytes).toBeLessThanOrEqual(limits.frameBytesMax);
      }
      expect(printer.snapshot().receipts.length).toBeLessThanOrEqual(limits.receiptsKeptMax);
    }), { numRuns: 300 });
  });

  it("a decoder fed a never-ending command resyncs instead of growing", () => {
    const decoder = createEscPosDecoder();
    // GS k 0 expects NUL-terminated data: feed 20 KB with no NUL and no other command.
    decoder.push(Buffer.from([0x1d, 0x6b, 0x00]));
    for (let index = 0; index < 20; index += 1) decoder.push(Buffer.alloc(1024, 0x31));
    expect(decoder.pendingBytes).toBeLessThanOrEqual(limits.frameBytesMax);
    const display = createEpsonDisplayDecoder();
    display.push(Buffer.from([0x1f]));
    expect(display.pendingBytes).toBe(1);
  });

  it("a truncated command does not eat more than its own length", () => {
    const printer = new ReceiptPrinterEmulator();
    printer.receive(Buffer.from([0x1b, 0x61])); // ESC a without n
    printer.receive(Buffer.from("1HELLO\n")); // "1" completes ESC a 1 (center)
    expect(printer.snapshot().printing?.lines).toEqual([{ text: "HELLO", align: "center", bold: false, size: { width: 1, height: 1 } }]);
  });

  it("magstripe: parseTrackLine never throws; the card reader ignores host bytes", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (line) => {
      expect(["track1", "track2", "error", "invalid"]).toContain(parseTrackLine(line).kind);
    }));
    const reader = new CardReaderEmulator();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => reader.receive(Buffer.from(bytes))));
    expect(reader.snapshot().swipes).toBe(0);
  });
});
