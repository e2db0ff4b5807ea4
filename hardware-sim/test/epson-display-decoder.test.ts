import { describe, expect, it } from "vitest";
import { PoleDisplayEmulator } from "../src/index.js";

const ESC = 0x1b;
const US = 0x1f;

function bytes(...parts: (number | string)[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : Buffer.from([part]))));
}

function displayAfter(...chunks: Buffer[]): PoleDisplayEmulator {
  const display = new PoleDisplayEmulator();
  for (const chunk of chunks) display.receive(chunk);
  return display;
}

describe("Epson display-mode decoder and 2x20 screen", () => {
  it("draws the idle screen with ESC @, text, US $ x y", () => {
    const display = displayAfter(bytes(ESC, 0x40, "WELCOME", US, 0x24, 1, 2, "PAY WITH CODE PAY"));
    expect(display.snapshot().lines).toEqual(["WELCOME             ", "PAY WITH CODE PAY   "]);
    expect(display.snapshot().cursor).toEqual({ row: 2, col: 18 });
  });

  it("moves the cursor with US $ x y (1-based column, row) and overwrites in place", () => {
    const display = displayAfter(bytes("ABCDEFGHIJ", US, 0x24, 3, 1, "xy"));
    expect(display.snapshot().lines[0]).toBe("ABxyEFGHIJ          ");
    expect(display.snapshot().cursor).toEqual({ row: 1, col: 5 });
  });

  it("ignores US $ positions outside 1..20 x 1..2 and counts them", () => {
    const display = displayAfter(bytes("A", US, 0x24, 21, 1, US, 0x24, 1, 3, "B"));
    expect(display.snapshot().lines[0]).toBe("AB                  ");
    expect(display.snapshot().unknownCommands).toBe(2);
  });

  it("wraps in overwrite mode: row 1 -> row 2 -> row 1", () => {
    const display = displayAfter(bytes("a".repeat(20), "b".repeat(20), "cc"));
    expect(display.snapshot().lines).toEqual(["cc" + "a".repeat(18), "b".repeat(20)]);
    expect(display.snapshot().cursor).toEqual({ row: 1, col: 3 });
  });

  it("scrolls up in vertical scroll mode (US MD2)", () => {
    const display = displayAfter(bytes(US, 0x02, "1".repeat(20), "2".repeat(20), "3"));
    expect(display.snapshot().lines).toEqual(["2".repeat(20), "3" + " ".repeat(19)]);
  });

  it("shifts the line left in horizontal scroll mode (US MD3)", () => {
    const display = displayAfter(bytes(US, 0x03, "ABCDEFGHIJKLMNOPQRSTUV"));
    expect(display.snapshot().lines[0]).toBe("CDEFGHIJKLMNOPQRSTUV");
    expect(display.snapshot().lines[1]).toBe(" ".repeat(20));
  });

  it("clears with 0C, homes with 0B, handles CR, LF, BS and HT", () => {
    const display = displayAfter(bytes("HELLO", 0x0c));
    expect(display.snapshot().lines).toEqual([" ".repeat(20), " ".repeat(20)]);
    display.receive(bytes("abc", 0x0d, "X", 0x0a, "Y", 0x08, 0x08, "Z", 0x09, "W", 0x0b, "H"));
    // CR -> col 1 ("Xbc"); LF -> row 2 col 2 ("Y"); BS BS -> col 1 ("Z" over the blank); HT skips "Y"; HOM.
    expect(display.snapshot().lines).toEqual(["Hbc                 ", "ZYW                 "]);
  });

  it("CAN clears the cursor line only", () => {
    const display = displayAfter(bytes("TOP", US, 0x24, 1, 2, "BOTTOM", 0x18));
    expect(display.snapshot().lines).toEqual(["TOP                 ", " ".repeat(20)]);
  });

  it("sets brightness 1-4 with US X n and rejects other levels", () => {
    const display = displayAfter(bytes(US, 0x58, 2));
    expect(display.snapshot().brightness).toBe(2);
    display.receive(bytes(US, 0x58, 9));
    expect(display.snapshot().brightness).toBe(2);
    expect(display.snapshot().unknownCommands).toBe(1);
    display.receive(bytes(ESC, 0x40));
    expect(display.snapshot().brightness).toBe(4);
  });

  it("records cursor visibility (US C n) and blink (US E n)", () => {
    const display = displayAfter(bytes(US, 0x43, 0, US, 0x45, 10));
    expect(display.snapshot().cursorVisible).toBe(false);
    expect(display.snapshot().blinkInterval).toBe(10);
  });

  it("decodes a command split across reads", () => {
    const display = displayAfter(bytes(US), bytes(0x24, 5), bytes(2, "Q"));
    expect(display.snapshot().lines[1]).toBe("    Q               ");
  });

  it("shows half-width Katakana after ESC t 1", () => {
    const display = displayAfter(bytes(ESC, 0x74, 1, 0xb1, 0xb2));
    expect(display.snapshot().lines[0]!.slice(0, 2)).toBe("ｱｲ");
  });

  it("skips an unknown command and keeps drawing the text after it", () => {
    const display = displayAfter(bytes(US, 0x99, "OK", ESC, 0x7e, "!"));
    expect(display.snapshot().lines[0]).toBe("OK!                 ");
    expect(display.snapshot().unknownCommands).toBe(2);
  });

  it("emits changed once per received chunk that changes the screen", () => {
    const display = new PoleDisplayEmulator();
    const seen: string[] = [];
    display.on("changed", (snapshot) => seen.push(snapshot.lines[0]));
    display.receive(bytes("A"));
    display.receive(bytes(US, 0x40)); // self-test: the model does not change
    display.receive(bytes("B"));
    expect(seen).toEqual(["A                   ", "AB                  "]);
  });
});
