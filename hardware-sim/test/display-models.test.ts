import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DISPLAY_COLUMNS, PoleDisplayEmulator, createCd5220Decoder, createLogicControlsDecoder, limits } from "../src/index.js";

const bytes = (...values: Array<number | string>) => Buffer.concat(values.map((value) => (typeof value === "string" ? Buffer.from(value, "latin1") : Buffer.from([value]))));

describe("CD5220 emulator", () => {
  it("moves the cursor with ESC l x y, sets brightness with ESC * n, shows € at 0xEE", () => {
    const display = new PoleDisplayEmulator("cd5220");
    display.receive(bytes(0x1b, 0x40, 0x0c, 0x1b, 0x2a, 2, 0x1b, 0x6c, 3, 2, "EUR ", 0xee, " 5"));
    expect(display.snapshot()).toMatchObject({ lines: ["                    ", "  EUR € 5           "], brightness: 2, cursor: { row: 2, col: 10 } });
  });

  it("locks after a line write (ESC Q A): other commands are ignored until CLR", () => {
    const display = new PoleDisplayEmulator("cd5220");
    display.receive(bytes(0x1b, 0x51, 0x41, "HELLO", 0x0d));
    display.receive(bytes(0x1b, 0x6c, 1, 2, "IGNORED"));
    expect(display.snapshot()).toMatchObject({ lines: ["HELLO               ", "                    "], lineWriteLocked: true, ignoredWhileLocked: 2 });
    display.receive(bytes(0x0c, 0x1b, 0x6c, 1, 2, "SHOWN"));
    expect(display.snapshot()).toMatchObject({ lines: ["                    ", "SHOWN               "], lineWriteLocked: false });
  });

  it("string mode takes repeated ESC Q A / ESC Q B line writes (CD5220 command list), each replacing its line", () => {
    const display = new PoleDisplayEmulator("cd5220");
    // As a POS sends a running total: upper line, lower line, then both again.
    display.receive(bytes(0x1b, 0x51, 0x41, "COFFEE       EUR 3.50", 0x0d, 0x1b, 0x51, 0x42, "TOTAL        EUR 3.50", 0x0d));
    expect(display.snapshot()).toMatchObject({ lines: ["COFFEE       EUR 3.5", "TOTAL        EUR 3.5"], lineWriteLocked: true, ignoredWhileLocked: 0 });
    display.receive(bytes(0x1b, 0x51, 0x41, "CAKE", 0x0d));
    display.receive(bytes(0x1b, 0x51, 0x42, "TOTAL  EUR 7", 0xee, 0x0d));
    display.receive(bytes(0x1b, 0x51, 0x41, "THANK YOU", 0x0d));
    expect(display.snapshot()).toMatchObject({ lines: ["THANK YOU           ", "TOTAL  EUR 7€       "], lineWriteLocked: true, ignoredWhileLocked: 0 });
    display.receive(bytes(0x1b, 0x6c, 1, 1, "X")); // cursor moves stay ignored in string mode
    expect(display.snapshot()).toMatchObject({ lines: ["THANK YOU           ", "TOTAL  EUR 7€       "], ignoredWhileLocked: 2 });
    display.receive(bytes(0x0c, 0x1b, 0x6c, 1, 1, "HI")); // CLR ends string mode: cursor commands work again
    expect(display.snapshot()).toMatchObject({ lines: ["HI                  ", "                    "], lineWriteLocked: false });
  });

  it("Katakana after ESC t 1", () => {
    const display = new PoleDisplayEmulator("cd5220");
    display.receive(bytes(0x1b, 0x74, 1, 0xba, 0xb0, 0xc4, 0xde));
    expect(display.snapshot().lines[0]).toBe("ｺｰﾄﾞ                ");
  });
});

describe("Logic Controls emulator", () => {
  it("resets with 1F, moves to linear position 10 n, maps 04 n brightness, € at 0x80 and Katakana in one table", () => {
    const display = new PoleDisplayEmulator("logic-controls");
    display.receive(bytes(0x1f, 0x11, 0x14, 0x04, 0x40, 0x10, 22, 0x80, "1 ", 0xba, 0xb0, 0xc4, 0xde));
    expect(display.snapshot()).toMatchObject({ lines: ["                    ", "  €1 ｺｰﾄﾞ           "], brightness: 2, cursorVisible: false });
  });
});

describe("the new display decoders never throw and stay bounded on random bytes (fast-check)", () => {
  it("CD5220 and Logic Controls", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (parts) => {
        for (const model of ["cd5220", "logic-controls"] as const) {
          const display = new PoleDisplayEmulator(model);
          const decoder = model === "cd5220" ? createCd5220Decoder() : createLogicControlsDecoder();
          for (const part of parts) {
            display.receive(Buffer.from(part));
            decoder.push(Buffer.from(part));
            expect(decoder.pendingBytes).toBeLessThanOrEqual(limits.frameBytesMax);
          }
          expect(display.snapshot().lines.every((line) => line.length === DISPLAY_COLUMNS)).toBe(true);
        }
      }),
    );
  });
});
