import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPort } from "serialport";
import { encodeSwipe, requireToolOrSkip, startDevices, TEST_CARDS, type SimDevices } from "../src/index.js";
import { DLE_EOT_PRINTER_STATUS, ESC_AT, readBytes, waitForDisplayLine } from "./helpers.js";

const hasSocat = requireToolOrSkip("socat");

describe.skipIf(!hasSocat)("pty transport over socat", () => {
  let devices: SimDevices | undefined;
  let directory = "";
  const ports: SerialPort[] = [];

  afterEach(async () => {
    for (const port of ports.splice(0)) if (port.isOpen) await new Promise((resolve) => port.close(resolve));
    await devices?.stop();
    devices = undefined;
    rmSync(directory, { recursive: true, force: true });
  });

  async function open(path: string, baudRate: number): Promise<SerialPort> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    ports.push(port);
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return port;
  }

  it("the agent's end of the pty reaches the display, the printer answers DLE EOT, swipes arrive", async () => {
    directory = mkdtempSync(join(tmpdir(), "codepay-sim-pty-"));
    devices = await startDevices({ transport: "pty", directory });
    expect(devices.paths.display).toBe(join(directory, "display-host"));

    const display = await open(devices.paths.display, 9600);
    const shown = waitForDisplayLine(devices.display, 0, "HELLO PTY");
    display.write(Buffer.concat([ESC_AT, Buffer.from("HELLO PTY")]));
    await shown;

    const printer = await open(devices.paths.printer, 19200);
    const status = readBytes(printer, 1);
    printer.write(DLE_EOT_PRINTER_STATUS);
    expect([...(await status)]).toEqual([0x12]);

    const reader = await open(devices.paths.cardReader, 9600);
    const expected = encodeSwipe(TEST_CARDS.mastercard);
    const swipe = readBytes(reader, expected.length);
    devices.cardReader.swipe("mastercard");
    expect((await swipe).equals(expected)).toBe(true);
  });

  it("stop kills socat, which removes its links", async () => {
    directory = mkdtempSync(join(tmpdir(), "codepay-sim-pty-"));
    devices = await startDevices({ transport: "pty", directory });
    const links = Object.values(devices.paths);
    expect(links.every((path) => existsSync(path))).toBe(true);
    await devices.stop();
    devices = undefined;
    expect(links.some((path) => existsSync(path))).toBe(false);
  });
});

describe("tcp transport", () => {
  let devices: SimDevices | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await devices?.stop();
    devices = undefined;
  });

  async function connectTo(url: string): Promise<Socket> {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return socket;
  }

  it("serves each device on a loopback port: display bytes, DLE EOT answer, swipe bytes", async () => {
    devices = await startDevices({ transport: "tcp" });
    expect(devices.paths.display).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

    const display = await connectTo(devices.paths.display);
    const shown = waitForDisplayLine(devices.display, 0, "HELLO TCP");
    display.write(Buffer.concat([ESC_AT, Buffer.from("HELLO TCP")]));
    await shown;

    const printer = await connectTo(devices.paths.printer);
    const status = readBytes(printer, 1);
    printer.write(DLE_EOT_PRINTER_STATUS);
    expect([...(await status)]).toEqual([0x12]);

    const reader = await connectTo(devices.paths.cardReader);
    const expected = encodeSwipe(TEST_CARDS.visa);
    const swipe = readBytes(reader, expected.length);
    devices.cardReader.swipe("visa");
    expect((await swipe).equals(expected)).toBe(true);
  });

  it("paces device -> host bytes when asked, and still delivers all of them", async () => {
    devices = await startDevices({ transport: "tcp", baudPacing: true });
    const reader = await connectTo(devices.paths.cardReader);
    const expected = encodeSwipe(TEST_CARDS.visa);
    const swipe = readBytes(reader, expected.length);
    devices.cardReader.swipe("visa");
    expect((await swipe).equals(expected)).toBe(true);
  });
});
