import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { EpsonPoleDisplay } from "../src/devices/pole-display.js";
import { openTransport } from "../src/devices/transport.js";
import { epsonCommandSet } from "../src/protocols/pole-display/command-sets.js";
import { changedRuns as changedRunsOf, encodeFrameUpdate, type Frame } from "../src/protocols/pole-display/framebuffer.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { decodeDisplay } from "./helpers/display-decoder.js";
import { mockSerial, unplug, waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

const hex = (bytes: Buffer) => bytes.toString("hex").replace(/(..)/g, "$1 ").trim();
// The Epson command set as the driver uses it (devices/pole-display.ts), ASCII with PC858.
const encodeUpdate = (shown: Frame, wanted: Frame): Buffer => encodeFrameUpdate(shown, wanted, epsonCommandSet, epsonCommandSet.characterMap("ascii"));
const changedRuns = (from: string, to: string) => changedRunsOf(from, to, epsonCommandSet.cursorMoveBytes);

describe("Epson display-mode encoder", () => {
  it("initializes with ESC @, brightness US X 4, then the code table ESC t (19 PC858, 1 Katakana)", () => {
    expect(hex(epsonCommandSet.initialize(4, "ascii"))).toBe("1b 40 1f 58 04 1b 74 13");
    expect(hex(epsonCommandSet.initialize(2, "katakana"))).toBe("1b 40 1f 58 02 1b 74 01");
  });

  it("moves the cursor (US $ x y, 1-based) only to changed runs", () => {
    const bytes = encodeUpdate(["TOTAL       JPY 1200", "CODE 482 9137   1:59"], ["TOTAL       JPY 1200", "CODE 482 9137   1:58"]);
    expect(hex(bytes)).toBe("1f 24 14 02 38"); // column 20, row 2, "8"
    expect(encodeUpdate(["A"], ["A"])).toHaveLength(0);
  });

  it("merges runs separated by fewer cells than a cursor move costs", () => {
    expect(changedRuns("abcdefghij", "Xbcdefghij")).toEqual([[0, 1]]);
    expect(changedRuns("abcdefghij", "XbcXefghij")).toEqual([[0, 4]]);
    expect(changedRuns("abcdefghij", "XbcdefghiX")).toEqual([[0, 1], [9, 10]]);
  });

  it("never sends control bytes from text", () => {
    const bytes = encodeUpdate(["", ""], ["\x1b@ é", ""]);
    expect([...bytes.subarray(4)]).toEqual([0x3f, 0x40, 0x20, 0x3f]);
  });
});

describe("pole display driver over SerialPortMock", () => {
  it("initializes, then sends only the changed cells of the second update", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyDISPLAY");
    const { logger } = captureLogger();
    const display = new EpsonPoleDisplay(openTransport({ path: "/dev/ttyDISPLAY", baudRate: 9600, binding: serial.binding, logger }), logger);
    display.show(["TOTAL       JPY 1200", "CODE 482 9137   1:59"]);
    display.start();
    await waitFor(() => display.status === "online", "display online");
    await waitFor(() => serial.last("/dev/ttyDISPLAY").recording.length > 0 || undefined, "first frame");
    await display.whenIdle();
    const port = serial.last("/dev/ttyDISPLAY");
    const first = Buffer.from(port.recording);
    expect(hex(first.subarray(0, 5))).toBe("1b 40 1f 58 04");
    expect(decodeDisplay(first).final).toEqual(["TOTAL       JPY 1200", "CODE 482 9137   1:59"]);

    display.show(["TOTAL       JPY 1200", "CODE 482 9137   1:58"]);
    await waitFor(() => port.recording.length > first.length || undefined, "second update");
    await display.whenIdle();
    expect(hex(port.recording.subarray(first.length))).toBe("1f 24 14 02 38");
    await display.stop();
  });

  it("re-initializes and redraws the whole frame after the port comes back", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyDISPLAY2");
    const { logger } = captureLogger();
    const transport = openTransport({ path: "/dev/ttyDISPLAY2", baudRate: 9600, binding: serial.binding, logger });
    const display = new EpsonPoleDisplay(transport, logger);
    display.show(["WELCOME Demo Store", "PAY WITH CODE PAY"]);
    display.start();
    await waitFor(() => serial.opened.get("/dev/ttyDISPLAY2")?.[0]?.recording.length || undefined, "first frame");
    await display.whenIdle();
    unplug(serial.last("/dev/ttyDISPLAY2"));
    await waitFor(() => (serial.opened.get("/dev/ttyDISPLAY2")?.length ?? 0) >= 2 || undefined, "reopen");
    await waitFor(() => serial.last("/dev/ttyDISPLAY2").recording.length || undefined, "redraw");
    await display.whenIdle();
    const redraw = serial.last("/dev/ttyDISPLAY2").recording;
    expect(hex(redraw.subarray(0, 2))).toBe("1b 40");
    expect(decodeDisplay(redraw).final).toEqual(["WELCOME Demo Store  ", "PAY WITH CODE PAY   "]);
    await display.stop();
  });
});
