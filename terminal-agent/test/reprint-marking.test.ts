/**
 * Every reprint says REPRINT, and nothing the printer reported printed is printed again. The real
 * agent (journal + durable print queue in one SQLite file) against the simulator's printer (its own
 * ESC/POS decoder) through the simulator's serialport binding; the line to the server stays down
 * (nothing here needs it).
 *
 * The agent can die at two moments around a finished receipt:
 *  A. after the printer printed it but before the agent read the printer's answer (GS r): the queue
 *     has the attempt counted and the job unfinished, so the restarted agent prints it again,
 *     headed `*** REPRINT ***`: the shopper may hold two slips, and the second says it is a copy;
 *  B. after the queue noted it printed but before the journal did (`receiptPrinted` still false):
 *     the restarted agent asks for the receipt again, the queue knows it printed, and nothing more
 *     comes out; the journal is brought up to date.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDevices, type Receipt, type SimDevices } from "@codepay/hardware-sim";
import { PROTOCOL_VERSION, type Report } from "@codepay/contract";
import type { Payment } from "../src/core/payment.js";
import { EscPosReceiptPrinter } from "../src/devices/receipt-printer.js";
import { openTransport } from "../src/devices/transport.js";
import { parseConfig, startAgent, type RunningAgent } from "../src/index.js";
import { Journal } from "../src/journal/journal.js";
import { buildReceipt, type ReceiptData } from "../src/protocols/escpos/receipt.js";
import { buildReportReceipt } from "../src/protocols/escpos/report-receipt.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";

let sim: SimDevices | undefined;
let agent: RunningAgent | undefined;
let printer: EscPosReceiptPrinter | undefined;
let dir: string | undefined;

afterEach(async () => {
  await agent?.stop();
  await printer?.stop();
  await sim?.stop();
  agent = undefined;
  printer = undefined;
  sim = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const approved: Payment = {
  paymentId: "pay-crash-0001", state: "approved", amount: { minor: 1200, currency: "JPY" }, lines: [{ text: "Coffee", amountMinor: 1200 }],
  createRequestId: "req-crash-0001", code: "4829137", reference: "tx-1", receiptPrinted: false, cancelRequested: false, refunds: [],
  createdAt: 1, updatedAt: 2,
};

const receiptOf = (payment: Payment): ReceiptData => ({
  storeName: "Demo Store", registerId: "demo-reg-1", paymentId: payment.paymentId, amount: payment.amount, lines: payment.lines,
  reference: payment.reference, printedAt: Date.UTC(2026, 10, 25, 9, 41),
});

const zReport: Report = {
  v: PROTOCOL_VERSION, type: "report", inReplyTo: "z-crash-0001", kind: "z", registerId: "demo-reg-1", storeId: "demo-store",
  periodNumber: 4, openedAt: Date.UTC(2026, 10, 25, 0, 0), closedAt: Date.UTC(2026, 10, 25, 22, 0),
  totals: [{ currency: "JPY", tender: "code", payments: { count: 3, minor: 3_600 }, voids: { count: 0, minor: 0 }, refunds: { count: 0, minor: 0 }, netMinor: 3_600 }],
};

function journalFile(): string {
  dir = mkdtempSync(path.join(tmpdir(), "codepay-reprint-"));
  return path.join(dir, "agent-journal.sqlite");
}

async function startRegister(journalPath: string): Promise<RunningAgent> {
  const config = parseConfig({
    server: { url: "mqtt://127.0.0.1:1" },
    register: { storeId: "demo-store", registerId: "demo-reg-1", password: "register-password" },
    currency: "JPY",
    storeName: "Demo Store",
    journalPath,
    cashierApi: { host: "127.0.0.1", port: 0 },
    devices: { printer: { path: sim!.paths.printer, baudRate: 19200 } },
  });
  const { logger } = captureLogger();
  agent = await startAgent(config, { binding: sim!.binding, logger });
  return agent;
}

async function receiptPrinted(running: RunningAgent, paymentId: string): Promise<boolean> {
  const response = await fetch(`${running.cashierApiUrl}/v1/payments/${paymentId}`);
  return ((await response.json()) as { payment: { receiptPrinted: boolean } }).payment.receiptPrinted;
}

async function waitForAsync(probe: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const printedFor = (id: string): Receipt[] => sim!.printer.snapshot().receipts.filter((receipt) => receipt.text.includes(id));

describe("reprints are marked REPRINT; printed jobs are not printed again", () => {
  it("A: the printer finished the receipt, the agent died before reading its answer: after the restart it prints once more, marked REPRINT", async () => {
    const file = journalFile();
    sim = await startDevices({ transport: "in-process" });
    // The state the dead agent left on disk: the payment approved, its receipt queued with attempt 1 counted
    // (the driver counts before the bytes go out), and the receipt on the paper.
    const journal = Journal.open(file);
    journal.write(approved, [], 2);
    const queue = journal.printQueue();
    queue.add(approved.paymentId, receiptOf(approved), 2);
    expect(queue.startAttempt(approved.paymentId, 3)).toBe(1);
    journal.close();
    sim.printer.receive(buildReceipt(receiptOf(approved)));
    expect(printedFor(approved.paymentId)).toHaveLength(1);

    const running = await startRegister(file);
    await waitFor(() => printedFor(approved.paymentId).length === 2, "the receipt printed again");
    const [original, reprint] = printedFor(approved.paymentId);
    expect(original!.text).not.toContain("REPRINT");
    expect(reprint!.lines[0]).toMatchObject({ text: "*** REPRINT ***", bold: true, align: "center" });
    expect(reprint!.cut).toBe(true);
    await waitForAsync(() => receiptPrinted(running, approved.paymentId), "the journal notes the receipt printed");
    // A second restart prints nothing more.
    await agent!.stop();
    agent = undefined;
    const again = await startRegister(file);
    expect(await receiptPrinted(again, approved.paymentId)).toBe(true);
    expect(sim.printer.snapshot().receipts).toHaveLength(2);
  });

  it("B: the queue noted the receipt printed, the journal did not: after the restart nothing more is printed and the journal catches up", async () => {
    const file = journalFile();
    sim = await startDevices({ transport: "in-process" });
    const journal = Journal.open(file);
    journal.write(approved, [], 2);
    const queue = journal.printQueue();
    queue.add(approved.paymentId, receiptOf(approved), 2);
    queue.startAttempt(approved.paymentId, 3);
    queue.done(approved.paymentId, 4);
    journal.close();

    const running = await startRegister(file);
    await waitForAsync(() => receiptPrinted(running, approved.paymentId), "the journal notes the receipt printed");
    expect(sim.printer.snapshot().receipts).toEqual([]);
  });

  it("a Z report interrupted by paper end is printed again in full under *** REPRINT ***; the first attempt is never a second whole copy", async () => {
    sim = await startDevices({ transport: "in-process" });
    const { logger } = captureLogger();
    printer = new EscPosReceiptPrinter(openTransport({ path: sim.paths.printer, baudRate: 19200, binding: sim.binding, logger, reconnectDelayMsMax: 200 }), { drawer: false, pollIntervalMs: 100 }, logger);
    printer.start();
    await waitFor(() => printer!.printerStatus.known, "first status reply");
    sim.printer.setFaults({ paperEndAfterLines: 4 });
    let printed = false;
    void printer.printRaw(buildReportReceipt(zReport, "Demo Store"), "report-z-crash-0001").then(() => (printed = true));
    await waitFor(() => printer!.printerStatus.paperEnd, "paper end");
    expect(sim.printer.snapshot().receipts).toEqual([expect.objectContaining({ torn: true })]);
    sim.printer.setFaults({ paperEnd: false, paperNearEnd: false });
    await waitFor(() => printed, "the report printed after the refill");
    // The printer prints what it held of the first attempt after the refill (the torn report's tail), then the reprint.
    const complete = sim.printer.snapshot().receipts.filter((receipt) => receipt.cut && receipt.text.includes("Z REPORT") && receipt.text.includes("PERIOD CLOSED"));
    expect(complete).toHaveLength(1);
    expect(complete[0]!.lines.slice(0, 3).map((line) => line.text)).toEqual(["*** REPRINT ***", "Demo Store", "Z REPORT"]);
    expect(complete[0]!.text).toMatch(/NET +3600/);
    expect(complete[0]!.text).toContain("PERIOD CLOSED");
  });

  it("a report still queued when the agent died is printed by the restarted agent marked REPRINT, and the journal notes it printed", async () => {
    const file = journalFile();
    sim = await startDevices({ transport: "in-process" });
    const journal = Journal.open(file);
    journal.queueReportRequest({ v: PROTOCOL_VERSION, type: "report.request", requestId: zReport.inReplyTo, kind: "z" }, "t", 1);
    journal.answerReport(zReport.inReplyTo, { report: zReport }, 2);
    const queue = journal.printQueue();
    queue.add(`report-${zReport.inReplyTo}`, { rawBase64: buildReportReceipt(zReport, "Demo Store").toString("base64") }, 2);
    queue.startAttempt(`report-${zReport.inReplyTo}`, 3);
    journal.close();

    await startRegister(file);
    await waitFor(() => sim!.printer.snapshot().receipts.some((receipt) => receipt.text.includes("Z REPORT") && receipt.cut), "the report printed");
    const [report] = sim.printer.snapshot().receipts;
    expect(report!.lines[0]?.text).toBe("*** REPRINT ***");
    await agent!.stop();
    agent = undefined;
    const reopened = Journal.open(file);
    await waitFor(() => reopened.getReport(zReport.inReplyTo)?.printed === true, "the journal notes the report printed");
    reopened.close();
  });
});
