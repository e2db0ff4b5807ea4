import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { SerialCardReader } from "../src/devices/card-reader.js";
import type { DeviceStatusUpdate } from "../src/devices/device.js";
import { openTransport } from "../src/devices/transport.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { mockSerial, unplug, waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

const TRACK2 = ";4111111111111111=30121010000000000?\r\n";

describe("UnifiedPOS device model", () => {
  it("goes open -> claim -> enable -> disable -> release -> close with state and power events", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyMODEL");
    const { logger } = captureLogger();
    const reader = new SerialCardReader(openTransport({ path: "/dev/ttyMODEL", baudRate: 9600, binding: serial.binding, logger, reconnectDelayMsMax: 200 }), logger, { cardKey: Buffer.alloc(32, 7) });
    const updates: DeviceStatusUpdate[] = [];
    reader.on("status", (update) => updates.push(update));
    expect([reader.state, reader.powerState, reader.claimed, reader.enabled]).toEqual(["closed", "off", false, false]);
    expect(() => reader.claim()).toThrow(/claim\(\) before open\(\)/);
    reader.open();
    expect(() => reader.enable()).toThrow(/enable\(\) before claim\(\)/);
    reader.claim();
    await waitFor(() => reader.powerState === "online", "online once claimed");

    const reads: unknown[] = [];
    reader.on("data", (read) => reads.push(read));
    serial.last("/dev/ttyMODEL").emitData(TRACK2); // claimed but not enabled: no data events (UPOS DeviceEnabled)
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toHaveLength(0);
    reader.enable();
    serial.last("/dev/ttyMODEL").emitData(TRACK2);
    await waitFor(() => reads.length === 1, "a read once enabled");

    unplug(serial.last("/dev/ttyMODEL"));
    await waitFor(() => reader.powerState === "offline", "offline on unplug");
    await waitFor(() => reader.powerState === "online", "online again without a restart");
    reader.disable();
    await reader.release();
    expect(reader.powerState).toBe("off");
    await reader.close();
    expect(reader.state).toBe("closed");
    expect(updates).toEqual([
      { kind: "state", state: "idle" },
      { kind: "power", power: "online" },
      { kind: "power", power: "offline" },
      { kind: "power", power: "online" },
      { kind: "power", power: "off" },
      { kind: "state", state: "closed" },
    ]);
  });
});
