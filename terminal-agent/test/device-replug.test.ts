/**
 * Unplug and replug each device mid-operation, against the simulator over real pseudo-terminals
 * (socat exits: the host end's reads fail, as an unplugged USB adapter's do) and over TCP (the
 * device server drops its sockets). The drivers recover without a restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeSwipe, requireToolOrSkip, startDevices, TEST_CARDS, type SimDevices } from "@codepay/hardware-sim";
import { SerialCardReader } from "../src/devices/card-reader.js";
import { EscPosReceiptPrinter } from "../src/devices/receipt-printer.js";
import { EpsonPoleDisplay } from "../src/devices/pole-display.js";
import { openTransport } from "../src/devices/transport.js";
import type { Transport } from "../src/devices/transport.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";

const hasSocat = requireToolOrSkip("socat", "device unplug/replug tests over pseudo-terminals");
const transports = (hasSocat ? ["pty", "tcp"] : ["tcp"]) as Array<"pty" | "tcp">;

let devices: SimDevices | undefined;
let directory: string | undefined;
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await devices?.stop();
  devices = undefined;
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

async function start(transport: "pty" | "tcp", baudPacing = false): Promise<SimDevices> {
  directory = mkdtempSync(path.join(tmpdir(), "codepay-replug-"));
  devices = await startDevices({ transport, directory, baudPacing });
  return devices;
}

function transportTo(devicePath: string, baudRate: number): Transport {
  const { logger } = captureLogger();
  return openTransport({ path: devicePath, baudRate, logger, reconnectDelayMsMax: 300 });
}

describe.each(transports)("unplug and replug over %s", (transport) => {
  it("display: an update made while unplugged is on the glass after replug", async () => {
    const sim = await start(transport);
    const { logger } = captureLogger();
    const display = new EpsonPoleDisplay(transportTo(sim.paths.display, 9600), logger);
    stops.push(() => display.stop());
    display.start();
    display.show(["WELCOME", "PAY WITH CODE PAY"]);
    await waitFor(() => sim.display.snapshot().lines[1].startsWith("PAY WITH CODE PAY"), "idle screen");

    await sim.unplug("display");
    await waitFor(() => display.powerState === "offline", "display offline");
    display.show(["TOTAL       JPY 1200", "CODE 482 9137   1:59"]);
    await sim.replug("display");
    await waitFor(() => display.powerState === "online", "display online again", 10_000);
    await waitFor(() => sim.display.snapshot().lines[1] === "CODE 482 9137   1:59", "code screen after replug");
    expect(sim.display.snapshot().lines).toEqual(["TOTAL       JPY 1200", "CODE 482 9137   1:59"]);
    expect(display.state).toBe("idle");
  });

  it("card reader: half a swipe before the unplug never joins the next swipe", async () => {
    const sim = await start(transport);
    const { logger, text } = captureLogger();
    const wire = transportTo(sim.paths.cardReader, 9600);
    const reader = new SerialCardReader(wire, logger, { cardKey: Buffer.alloc(32, 7) });
    stops.push(() => reader.stop());
    const reads: unknown[] = [];
    reader.on("data", (read) => reads.push(read));
    const errors: string[] = [];
    reader.on("error", (error) => errors.push(error.code));
    let bytesSeen = 0;
    wire.on("data", (bytes) => (bytesSeen += bytes.length));
    reader.start();
    await waitFor(() => reader.powerState === "online", "reader online");

    const swipe = encodeSwipe(TEST_CARDS.visa);
    sim.cardReader.sendRaw(swipe.subarray(0, 10)); // "%B41111111": the reader is unplugged mid-swipe
    await waitFor(() => bytesSeen === 10, "half a swipe at the agent");
    await sim.unplug("cardReader");
    await waitFor(() => reader.powerState === "offline", "reader offline");
    await sim.replug("cardReader");
    await waitFor(() => reader.powerState === "online", "reader online again", 10_000);
    sim.cardReader.swipe("visa");
    await waitFor(() => reads.length >= 1, "the next swipe");
    await new Promise((resolve) => setTimeout(resolve, 200)); // let any stray swipe arrive
    expect(reads).toEqual([expect.objectContaining({ last4: "1111", maskedPan: "411111******1111", expiry: "3012" })]);
    expect(errors).toEqual([]);
    expect(text()).not.toContain(TEST_CARDS.visa.pan);
  });

  it("printer: unplugged mid-receipt, the receipt prints in full marked REPRINT after replug", async () => {
    const sim = await start(transport, true); // paced to the baud rate, so the unplug lands mid-receipt
    const { logger } = captureLogger();
    const printer = new EscPosReceiptPrinter(transportTo(sim.paths.printer, 19200), { drawer: false, pollIntervalMs: 200 }, logger);
    stops.push(() => printer.stop());
    printer.start();
    await waitFor(() => printer.printerStatus.known, "printer status known");
    let printed = false;
    const paymentId = "pay-replug-0001";
    void printer
      .print({ storeName: "Demo Store", registerId: "reg-1", paymentId, amount: { minor: 1200, currency: "JPY" }, lines: [], printedAt: 0 })
      .then(() => (printed = true));
    await waitFor(() => (sim.printer.snapshot().printing?.lines.length ?? 0) >= 2, "the receipt half printed");
    await sim.unplug("printer");
    await waitFor(() => printer.powerState === "offline", "printer offline");
    await sim.replug("printer");
    await waitFor(() => printed, "printed after replug", 15_000);
    const complete = sim.printer.snapshot().receipts.filter((each) => each.cut && each.qr.includes(paymentId) && each.text.includes("Demo Store"));
    expect(complete).toHaveLength(1);
    expect(complete[0]!.text).toContain("*** REPRINT ***");
  });
});
