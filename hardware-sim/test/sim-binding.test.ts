import { afterEach, describe, expect, it } from "vitest";
import { SerialPort } from "serialport";
import { SerialPortStream } from "@serialport/stream";
import { createSimBinding, encodeSwipe, PoleDisplayEmulator, startDevices, TEST_CARDS, type SimDevices } from "../src/index.js";
import { DLE_EOT_PRINTER_STATUS, ESC_AT, readBytes, waitForDisplayLine } from "./helpers.js";

function openPort(port: SerialPortStream): Promise<void> {
  return new Promise((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
}

function closePort(port: SerialPortStream): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}

describe("SimBinding: serialport over the device emulators", () => {
  let devices: SimDevices;
  const ports: SerialPortStream[] = [];

  afterEach(async () => {
    for (const port of ports.splice(0)) await closePort(port);
    await devices?.stop();
  });

  function port(path: string, baudRate = 9600): SerialPortStream {
    const created = new SerialPortStream({ binding: devices.binding!, path, baudRate, autoOpen: false });
    ports.push(created);
    return created;
  }

  it("a real SerialPort (binding option) writes bytes that reach the display's screen", async () => {
    devices = await startDevices({ transport: "in-process" });
    // serialport's own SerialPort class accepts the binding too (its .d.ts omits the option).
    const display = new SerialPort({ path: devices.paths.display, baudRate: 9600, autoOpen: false, binding: devices.binding } as ConstructorParameters<typeof SerialPort>[0]);
    ports.push(display);
    await openPort(display);
    const shown = waitForDisplayLine(devices.display, 1, "CODE 482 9137");
    display.write(Buffer.concat([ESC_AT, Buffer.from("TOTAL"), Buffer.from([0x1f, 0x24, 1, 2]), Buffer.from("CODE 482 9137   1:59")]));
    await shown;
    expect(devices.display.snapshot().lines).toEqual(["TOTAL               ", "CODE 482 9137   1:59"]);
  });

  it("DLE EOT to the printer gets its status byte back as a read", async () => {
    devices = await startDevices({ transport: "in-process" });
    const printer = port(devices.paths.printer, 19200);
    await openPort(printer);
    const answer = readBytes(printer, 1);
    printer.write(DLE_EOT_PRINTER_STATUS);
    expect([...(await answer)]).toEqual([0x12]);
  });

  it("a swipe arrives on the card reader port as the exact track bytes", async () => {
    devices = await startDevices({ transport: "in-process" });
    const reader = port(devices.paths.cardReader);
    await openPort(reader);
    const expected = encodeSwipe(TEST_CARDS.visa);
    const received = readBytes(reader, expected.length);
    devices.cardReader.swipe("visa");
    expect((await received).equals(expected)).toBe(true);
  });

  it("lists the simulated ports, refuses a second open, and reopens after close", async () => {
    devices = await startDevices({ transport: "in-process" });
    expect((await devices.binding!.list()).map((info) => info.path)).toEqual(["/sim/display", "/sim/printer", "/sim/card-reader"]);
    const first = port(devices.paths.display);
    await openPort(first);
    await expect(openPort(port(devices.paths.display))).rejects.toThrow(/Cannot lock port/);
    await expect(openPort(port("/sim/nothing"))).rejects.toThrow(/No such file/);
    await closePort(first);
    const again = port(devices.paths.display);
    await openPort(again);
    expect(again.isOpen).toBe(true);
  });

  it("with baud pacing, drain resolves only after the emulator has every byte", async () => {
    const display = new PoleDisplayEmulator();
    devices = { stop: async () => {} } as SimDevices;
    const binding = createSimBinding({ "/sim/display": display }, { baudPacing: true });
    const paced = new SerialPortStream({ binding, path: "/sim/display", baudRate: 115200, autoOpen: false });
    ports.push(paced);
    await openPort(paced);
    paced.write(Buffer.from("PACED OUTPUT 123456"));
    await new Promise<void>((resolve, reject) => paced.drain((error) => (error ? reject(error) : resolve())));
    expect(display.snapshot().lines[0]).toBe("PACED OUTPUT 123456 ");
  });
});
