import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { EscPosReceiptPrinter } from "../src/devices/receipt-printer.js";
import { Journal } from "../src/journal/journal.js";
import { openTransport } from "../src/devices/transport.js";
import { canPrintRaw } from "../src/protocols/escpos/report-receipt.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { mockSerial, waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

describe("printRaw", () => {
  it("queues raw bytes durably like a receipt, writes them as they are, and is idempotent on jobId", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyPRINTRAW");
    const { logger } = captureLogger();
    const journal = Journal.open(":memory:");
    const queue = journal.printQueue();
    const printer = new EscPosReceiptPrinter(openTransport({ path: "/dev/ttyPRINTRAW", baudRate: 19200, binding: serial.binding, logger }), { drawer: false, statusBack: false, queue }, logger);
    expect(canPrintRaw(printer)).toBe(true);
    const bytes = Buffer.concat([Buffer.from("X REPORT\n", "latin1"), Buffer.from([0x00, 0xff, 0x1d, 0x56, 0x00])]);
    // Asked for before the printer is there: the job waits in the durable queue.
    const printed = printer.printRaw(bytes, "report-req-1");
    expect(queue.pending().map((job) => job.jobId)).toEqual(["report-req-1"]);
    printer.start();
    await waitFor(() => printer.status === "online", "printer online");
    await printed;
    expect(queue.pending()).toEqual([]);
    const written = serial.last("/dev/ttyPRINTRAW").recording;
    expect(written.includes(bytes)).toBe(true);
    // The same jobId again is the same job: not printed twice.
    await printer.whenIdle();
    const before = serial.last("/dev/ttyPRINTRAW").recording.length;
    queue.add("report-req-1", { rawBase64: bytes.toString("base64") }, Date.now());
    expect(queue.pending()).toEqual([]);
    expect(serial.last("/dev/ttyPRINTRAW").recording.length).toBe(before);
    await printer.stop();
    journal.close();
  });
});
