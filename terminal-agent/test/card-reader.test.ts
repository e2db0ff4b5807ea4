import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { SerialCardReader } from "../src/devices/card-reader.js";
import { openTransport } from "../src/devices/transport.js";
import { summarizeCardLine } from "../src/protocols/magstripe/mask.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { mockSerial, waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

const PAN = "4111111111111111";
const TRACK1 = `%B${PAN}^DOE/JANE^2512101000000000000?`;
const TRACK2 = `;${PAN}=25121010000000000?`;

describe("card reader", () => {
  it("logs a masked summary of each swipe line and never the PAN or track data", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyMSR");
    const { logger, text } = captureLogger();
    const reader = new SerialCardReader(openTransport({ path: "/dev/ttyMSR", baudRate: 9600, binding: serial.binding, logger }), logger);
    const swipes: unknown[] = [];
    reader.on("data", (summary) => swipes.push(summary));
    reader.start();
    await waitFor(() => reader.status === "online", "reader online");
    // CR LF, a bare CR and a bare LF all end a line
    serial.last("/dev/ttyMSR").emitData(`${TRACK1}\r\n${TRACK2}\rE\n`);
    await waitFor(() => swipes.length === 3 || undefined, "three lines");
    expect(swipes).toEqual([{ kind: "track1", last4: "1111" }, { kind: "track2", last4: "1111" }, { kind: "error" }]);
    const logs = text();
    expect(logs).toContain("card swipe received ****1111");
    expect(logs).not.toContain(PAN);
    expect(logs).not.toContain("DOE/JANE");
    expect(logs).not.toContain("2512101");
    await reader.stop();
  });

  it("resyncs after a line longer than the limit instead of growing", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyMSR2");
    const { logger, text } = captureLogger();
    const reader = new SerialCardReader(openTransport({ path: "/dev/ttyMSR2", baudRate: 9600, binding: serial.binding, logger }), logger);
    const swipes: unknown[] = [];
    reader.on("data", (summary) => swipes.push(summary));
    reader.start();
    await waitFor(() => reader.status === "online", "reader online");
    serial.last("/dev/ttyMSR2").emitData("9".repeat(600));
    await waitFor(() => text().includes("CARD_LINE_TOO_LONG") || undefined, "resync");
    serial.last("/dev/ttyMSR2").emitData(`${TRACK2}\n`);
    await waitFor(() => swipes.length === 1 || undefined, "next swipe");
    expect(swipes).toEqual([{ kind: "track2", last4: "1111" }]);
    await reader.stop();
  });

  it("masks a PAN it cannot place in a track", () => {
    expect(summarizeCardLine("\x02garbage 5500000000000004 more\x03")).toEqual({ kind: "unknown", last4: "0004" });
    expect(summarizeCardLine("nothing here")).toEqual({ kind: "unknown" });
  });
});
