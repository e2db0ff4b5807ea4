/**
 * The printer driver against the simulator's printer (its own ESC/POS decoder) through the
 * simulator's serialport binding: faults injected mid-receipt, the receipt held in the durable
 * queue, and exactly one complete receipt per payment in the end (the original, or a REPRINT after
 * a torn original), never none.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDevices, type Receipt, type SimDevices } from "@codepay/hardware-sim";
import type { DeviceStatusUpdate } from "../src/devices/device.js";
import { MemoryPrintQueue } from "../src/devices/print-queue.js";
import { Journal } from "../src/journal/journal.js";
import type { PrintQueueStore } from "../src/devices/print-queue.js";
import { EscPosReceiptPrinter } from "../src/devices/receipt-printer.js";
import { openTransport } from "../src/devices/transport.js";
import type { ReceiptData } from "../src/protocols/escpos/receipt.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";

const receipt = (paymentId: string): ReceiptData => ({
  storeName: "Demo Store",
  registerId: "demo-reg-1",
  paymentId,
  amount: { minor: 1200, currency: "JPY" },
  lines: [{ text: "Coffee", amountMinor: 1200 }],
  reference: "tx-1",
  printedAt: Date.UTC(2025, 10, 25, 9, 41),
});

/** A receipt a shopper can take: header to QR, cut, not torn. */
function isComplete(printed: Receipt, paymentId: string): boolean {
  return printed.cut && printed.torn !== true && printed.text.includes("Demo Store") && /TOTAL +JPY 1200/.test(printed.text) && printed.text.includes(`PAYMENT ${paymentId}`) && printed.qr.includes(paymentId);
}

let sim: SimDevices | undefined;
let printer: EscPosReceiptPrinter | undefined;

afterEach(async () => {
  await printer?.stop();
  await sim?.stop();
  printer = undefined;
  sim = undefined;
});

async function setUp(queue: PrintQueueStore = new MemoryPrintQueue(), baudPacing = false, drawer = false) {
  sim = await startDevices({ transport: "in-process", baudPacing });
  const { logger, text } = captureLogger();
  const transport = openTransport({ path: sim.paths.printer, baudRate: 19200, binding: sim.binding, logger, reconnectDelayMsMax: 200 });
  printer = new EscPosReceiptPrinter(transport, { drawer, queue, pollIntervalMs: 100 }, logger);
  const updates: DeviceStatusUpdate[] = [];
  const errors: string[] = [];
  printer.on("status", (update) => updates.push(update));
  printer.on("error", (error) => errors.push(error.code));
  printer.start();
  await waitFor(() => printer!.printerStatus.known, "first status reply");
  return { sim, printer, updates, errors, logs: text, queue };
}

const printerEvents = (updates: DeviceStatusUpdate[]) => updates.flatMap((update) => (update.kind === "printer" ? [update.status] : []));

describe("printer status and the print queue, against the simulated printer", () => {
  it("enables ASB and polls DLE EOT: paper near end, cover open and offline become status events", async () => {
    const { sim, printer, updates } = await setUp();
    expect(sim.printer.snapshot().automaticStatusBack).toBe(true);
    sim.printer.setFaults({ paperNearEnd: true });
    await waitFor(() => printer.printerStatus.paperNearEnd, "near end");
    sim.printer.setFaults({ coverOpen: true });
    await waitFor(() => printer.state === "error", "error state while the cover is open");
    sim.printer.setFaults({ coverOpen: false, offline: true });
    await waitFor(() => printer.printerStatus.offline && !printer.printerStatus.coverOpen, "offline");
    sim.printer.setFaults({ offline: false });
    await waitFor(() => printer.state === "idle", "idle again");
    expect(printerEvents(updates)).toEqual(["paperNearEnd", "coverOpen", "offline", "coverClosed", "online"]);
  });

  it("paper end mid-receipt: nothing is lost, and after the refill exactly one complete receipt, marked REPRINT", async () => {
    const { sim, printer, updates, errors, queue } = await setUp();
    sim.printer.setFaults({ paperEndAfterLines: 3 });
    let printed = false;
    void printer.print(receipt("pay-paper-end-1")).then(() => (printed = true));
    await waitFor(() => printerEvents(updates).includes("paperEnd"), "paper end reported");
    expect(sim.printer.snapshot().receipts).toEqual([expect.objectContaining({ torn: true, cut: false })]);
    expect(queue.pending().map((job) => job.jobId)).toEqual(["pay-paper-end-1"]);
    expect(printed).toBe(false);
    expect(errors).toContain("PRINT_INTERRUPTED");

    sim.printer.setFaults({ paperEnd: false, paperNearEnd: false }); // a new roll
    await waitFor(() => printed, "printed after the refill");
    const receipts = sim.printer.snapshot().receipts;
    const complete = receipts.filter((each) => isComplete(each, "pay-paper-end-1"));
    expect(complete).toHaveLength(1);
    expect(complete[0]!.text).toContain("*** REPRINT ***");
    expect(receipts.filter((each) => each.text.includes("REPRINT"))).toHaveLength(1);
    expect(queue.pending()).toEqual([]);
    expect(printer.state).toBe("idle");
  });

  it("a receipt asked for while the paper is out waits and prints once, as the original", async () => {
    const { sim, printer } = await setUp();
    sim.printer.setFaults({ paperEnd: true });
    await waitFor(() => printer.printerStatus.paperEnd, "paper end known");
    let printed = false;
    void printer.print(receipt("pay-wait-0001")).then(() => (printed = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(printed).toBe(false);
    expect(sim.printer.snapshot().receipts).toEqual([]);
    sim.printer.setFaults({ paperEnd: false });
    await waitFor(() => printed, "printed after the refill");
    const receipts = sim.printer.snapshot().receipts;
    expect(receipts).toHaveLength(1);
    expect(isComplete(receipts[0]!, "pay-wait-0001")).toBe(true);
    expect(receipts[0]!.text).not.toContain("REPRINT");
  });

  it("unplugged mid-receipt: replugged, the receipt prints in full marked REPRINT, without a restart", async () => {
    const { sim, printer } = await setUp(new MemoryPrintQueue(), true); // paced to 19200 baud, so the unplug lands mid-receipt
    let printed = false;
    void printer.print(receipt("pay-unplug-01")).then(() => (printed = true));
    await waitFor(() => (sim.printer.snapshot().printing?.lines.length ?? 0) >= 3, "the receipt half printed");
    await sim.unplug("printer");
    await waitFor(() => printer.powerState === "offline", "printer offline");
    await sim.replug("printer");
    await waitFor(() => printed, "printed after replug", 10_000);
    const receipts = sim.printer.snapshot().receipts;
    const complete = receipts.filter((each) => isComplete(each, "pay-unplug-01"));
    expect(complete).toHaveLength(1);
    expect(complete[0]!.text).toContain("*** REPRINT ***");
    expect(receipts.length).toBe(2); // the half receipt, cut off before the REPRINT
  });

  it("a receipt still queued when the agent stops is printed by the next agent, marked REPRINT if it had started", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "codepay-printq-")), "journal.sqlite");
    const firstJournal = Journal.open(file);
    const first = firstJournal.printQueue();
    const { sim, printer: firstPrinter } = await setUp(first);
    sim.printer.setFaults({ paperEndAfterLines: 2 });
    void firstPrinter.print(receipt("pay-restart-1"));
    await waitFor(() => firstPrinter.printerStatus.paperEnd, "paper end");
    await firstPrinter.stop();
    firstJournal.close();

    const secondJournal = Journal.open(file);
    const second = secondJournal.printQueue();
    expect(second.pending().map((job) => [job.jobId, job.attempts])).toEqual([["pay-restart-1", 1]]);
    const { logger } = captureLogger();
    sim.printer.setFaults({ paperEnd: false });
    printer = new EscPosReceiptPrinter(openTransport({ path: sim.paths.printer, baudRate: 19200, binding: sim.binding, logger }), { drawer: false, queue: second }, logger);
    const completed: string[] = [];
    printer.on("outputComplete", (event) => completed.push(event.outputId));
    printer.start();
    expect(printer.pendingJobs).toBe(1);
    await waitFor(() => completed.length === 1, "the queued receipt printed by the new driver");
    expect(completed).toEqual(["pay-restart-1"]);
    const complete = sim.printer.snapshot().receipts.filter((each) => isComplete(each, "pay-restart-1"));
    expect(complete).toHaveLength(1);
    expect(complete[0]!.text).toContain("REPRINT");
    expect(second.pending()).toEqual([]);
    secondJournal.close();
  });

  it("a drawer kick asked for while the printer is unplugged opens the drawer once, after the receipt, when it is replugged", async () => {
    const { sim, printer } = await setUp(new MemoryPrintQueue(), false, true);
    await sim.unplug("printer");
    await waitFor(() => printer.powerState === "offline", "printer offline");
    let kicked = false;
    const printed = printer.print(receipt("pay-kick-01"));
    void printer.kickDrawer("pay-kick-01").then(() => (kicked = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(kicked).toBe(false);
    expect(sim.printer.snapshot().drawerKicksTotal).toBe(0);
    await sim.replug("printer");
    await printed;
    await waitFor(() => kicked, "kicked after replug", 10_000);
    await printer.kickDrawer("pay-kick-01"); // asked again (a restart's catch-up): done already, not repeated
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sim.printer.snapshot().drawerKicksTotal).toBe(1);
    expect(sim.printer.snapshot().receipts.filter((each) => isComplete(each, "pay-kick-01"))).toHaveLength(1);
  });

  it("a drawer kick still queued when the agent stops is sent once by the next agent", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "codepay-kickq-")), "journal.sqlite");
    const firstJournal = Journal.open(file);
    const { sim, printer: firstPrinter } = await setUp(firstJournal.printQueue(), false, true);
    sim.printer.setFaults({ paperEnd: true });
    await waitFor(() => firstPrinter.printerStatus.paperEnd, "paper end");
    void firstPrinter.print(receipt("pay-kick-02"));
    void firstPrinter.kickDrawer("pay-kick-02");
    await firstPrinter.stop();
    firstJournal.close();

    const secondJournal = Journal.open(file);
    const second = secondJournal.printQueue();
    expect(second.pending().map((job) => job.jobId)).toEqual(["pay-kick-02", "drawer-pay-kick-02"]);
    sim.printer.setFaults({ paperEnd: false });
    const { logger } = captureLogger();
    printer = new EscPosReceiptPrinter(openTransport({ path: sim.paths.printer, baudRate: 19200, binding: sim.binding, logger }), { drawer: true, queue: second }, logger);
    printer.start();
    await waitFor(() => second.pending().length === 0, "receipt and kick done by the new driver", 10_000);
    expect(sim.printer.snapshot().drawerKicksTotal).toBe(1);
    expect(sim.printer.snapshot().receipts.filter((each) => isComplete(each, "pay-kick-02"))).toHaveLength(1);
    secondJournal.close();
  });
});
