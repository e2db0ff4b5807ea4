/**
 * The serial transport: the emulators open REAL serial ports by path, as on a technician's laptop
 * with USB serial adapters cabled null-modem to a register. Here each cable is a socat pty pair the
 * test makes itself: the simulator opens one end like /dev/ttyUSB0, the test (the register's side)
 * opens the other.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPort } from "serialport";
import {
  encodeSwipe, requireToolOrSkip, startDevices, startSerialDevice, startSocatPair, PoleDisplayEmulator, TEST_CARDS,
  type SerialDevice, type SimDevices, type SocatPair,
} from "../src/index.js";
import { DLE_EOT_PRINTER_STATUS, ESC_AT, readBytes, waitForDisplayLine } from "./helpers.js";

const hasSocat = requireToolOrSkip("socat", "serial transport tests over pseudo-terminal pairs");

describe.skipIf(!hasSocat)("serial transport on socat pty pairs", () => {
  let directory = "";
  let devices: SimDevices | undefined;
  let device: SerialDevice | undefined;
  const pairs: SocatPair[] = [];
  const ports: SerialPort[] = [];

  afterEach(async () => {
    for (const port of ports.splice(0)) if (port.isOpen) await new Promise((resolve) => port.close(resolve));
    await devices?.stop();
    devices = undefined;
    await device?.stop();
    device = undefined;
    for (const pair of pairs.splice(0)) await pair.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  /** A null-modem cable: returns the simulator's end and the register's end. */
  async function cable(name: string): Promise<{ simEnd: string; registerEnd: string }> {
    const simEnd = join(directory, `${name}-sim`);
    const registerEnd = join(directory, `${name}-register`);
    pairs.push(await startSocatPair(simEnd, registerEnd));
    return { simEnd, registerEnd };
  }

  async function open(path: string, baudRate: number): Promise<SerialPort> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    ports.push(port);
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return port;
  }

  it("display, printer and card reader answer on the far end of their cables", async () => {
    directory = mkdtempSync(join(tmpdir(), "codepay-sim-serial-"));
    const display = await cable("display");
    const printer = await cable("printer");
    const reader = await cable("card-reader");
    devices = await startDevices({
      transport: "serial",
      serialPorts: { display: { path: display.simEnd }, printer: { path: printer.simEnd, baudRate: 38400 }, cardReader: { path: reader.simEnd } },
    });
    expect(devices.paths).toEqual({ display: display.simEnd, printer: printer.simEnd, cardReader: reader.simEnd });

    const displayPort = await open(display.registerEnd, 9600);
    const shown = waitForDisplayLine(devices.display, 0, "HELLO SERIAL");
    displayPort.write(Buffer.concat([ESC_AT, Buffer.from("HELLO SERIAL")]));
    await shown;

    const printerPort = await open(printer.registerEnd, 38400);
    const status = readBytes(printerPort, 1);
    printerPort.write(DLE_EOT_PRINTER_STATUS);
    expect([...(await status)]).toEqual([0x12]);

    const readerPort = await open(reader.registerEnd, 9600);
    const expected = encodeSwipe(TEST_CARDS.visa);
    const swipe = readBytes(readerPort, expected.length);
    devices.cardReader.swipe("visa");
    expect((await swipe).equals(expected)).toBe(true);
  });

  it("only the devices given a port are attached; a missing port fails clearly and leaves nothing open", async () => {
    directory = mkdtempSync(join(tmpdir(), "codepay-sim-serial-"));
    const display = await cable("display");
    devices = await startDevices({ transport: "serial", serialPorts: { display: { path: display.simEnd } } });
    expect(devices.paths).toEqual({ display: display.simEnd, printer: "", cardReader: "" });
    await devices.stop();
    devices = undefined;
    await expect(startDevices({ transport: "serial", serialPorts: {} })).rejects.toThrow(/at least one device port/);
    await expect(
      startDevices({ transport: "serial", serialPorts: { display: { path: display.simEnd }, printer: { path: join(directory, "no-such-port") } } }),
    ).rejects.toThrow(/no-such-port/);
    // The display port opened before the failure was let go: another opener can have it.
    const again = await startDevices({ transport: "serial", serialPorts: { display: { path: display.simEnd } } });
    await again.stop();
  });

  it("reopens its port when the cable comes back (socat restarted on the same links)", async () => {
    directory = mkdtempSync(join(tmpdir(), "codepay-sim-serial-"));
    const display = await cable("display");
    const emulator = new PoleDisplayEmulator("epson");
    const problems: string[] = [];
    let closed!: () => void;
    const closedOnce = new Promise<void>((resolve) => (closed = resolve));
    device = await startSerialDevice({
      emulator, path: display.simEnd, baudRate: 9600, baudPacing: false,
      onProblem: (message) => {
        problems.push(message);
        if (message.includes("port closed")) closed();
      },
    });
    expect(device.isOpen).toBe(true);
    await pairs.pop()!.stop(); // the adapter is pulled
    await closedOnce;
    expect(device.isOpen).toBe(false);
    pairs.push(await startSocatPair(display.simEnd, display.registerEnd)); // and plugged back in
    const registerPort = await open(display.registerEnd, 9600);
    const shown = waitForDisplayLine(emulator, 0, "BACK AGAIN");
    // The register keeps sending until the simulator has reopened its end (bytes sent before are lost, as on a real line).
    const resend = setInterval(() => registerPort.write(Buffer.concat([ESC_AT, Buffer.from("BACK AGAIN")])), 100);
    await shown.finally(() => clearInterval(resend));
    expect(device.isOpen).toBe(true);
    expect(problems[0]).toMatch(/port closed \(.*\); reopening/);
  });
});

describe("codepay-sim devices --transport serial: bad arguments", () => {
  const bin = fileURLToPath(new URL("../bin/codepay-sim.js", import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, "devices", "--control-port", "0", ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, UV_USE_IO_URING: "0" } });

  it("refuses clearly and exits 2 before opening anything", () => {
    const cases: Array<[string[], RegExp]> = [
      [["--transport", "serial"], /needs at least one of --display, --printer, --card-reader PORT/],
      [["--transport", "pty", "--display", "/dev/ttyUSB0"], /--display and --display-baud go with --transport serial/],
      [["--transport", "serial", "--display", "/dev/ttyUSB0", "--display-baud", "fast"], /--display-baud must be a baud rate/],
      [["--transport", "serial", "--printer-baud", "9600"], /--printer-baud needs --printer PORT/],
      [["--transport", "serial", "--card-reader", "ttyUSB2"], /--card-reader must be a serial port path/],
      [["--transport", "usb"], /--transport must be pty, tcp or serial/],
    ];
    for (const [args, message] of cases) {
      const result = run(...args);
      expect({ args, status: result.status }).toEqual({ args, status: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe("");
    }
  });

  it("a port that does not exist stops it with the port's error (exit 1), nothing ready", () => {
    const result = run("--transport", "serial", "--display", "/dev/codepay-no-such-port");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/codepay-sim: .*codepay-no-such-port/);
    expect(result.stdout).not.toContain("ready");
  });
});
