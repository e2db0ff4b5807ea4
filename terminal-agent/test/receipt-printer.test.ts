import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { EscPosReceiptPrinter } from "../src/devices/receipt-printer.js";
import { openTransport } from "../src/devices/transport.js";
import { buildReceipt } from "../src/protocols/escpos/receipt.js";
import type { ReceiptData } from "../src/protocols/escpos/receipt.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { mockSerial, waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

const receipt: ReceiptData = {
  storeName: "Demo Store",
  registerId: "demo-reg-1",
  paymentId: "pay-00000001",
  amount: { minor: 1234, currency: "EUR" },
  lines: [{ text: "Coffee", amountMinor: 1234 }],
  reference: "tx-42",
  printedAt: Date.UTC(2025, 10, 25, 9, 41),
};

const DRAWER_KICK = Buffer.from("1b700019fa", "hex");
const LIBRARY_DRAWER_KICK = Buffer.from("1b70001b7001", "hex");
const QR_STORE_DATA = Buffer.concat([Buffer.from("1d286b", "hex"), Buffer.from([receipt.paymentId.length + 3, 0x00, 0x31, 0x50, 0x30]), Buffer.from(receipt.paymentId)]);

describe("receipt", () => {
  it("holds the contract's text, the QR code of the paymentId and a cut", () => {
    const bytes = buildReceipt(receipt);
    const text = bytes.toString("latin1");
    for (const expected of ["Demo Store", "2025-11-25 09:41 UTC", "REGISTER demo-reg-1", "Coffee", "12.34", "CODE PAY", "PAYMENT pay-00000001", "REF tx-42"]) {
      expect(text).toContain(expected);
    }
    expect(text).toMatch(/TOTAL +EUR 12\.34/);
    expect(bytes.includes(QR_STORE_DATA)).toBe(true); // GS ( k: store the QR data
    expect(bytes.includes(Buffer.from("1d286b0300315130", "hex"))).toBe(true); // GS ( k: print the symbol
    expect(bytes.includes(Buffer.from("1d5600", "hex"))).toBe(true); // GS V 0: full cut
  });

  it("prints the register's name, as the shopper's phone shows it, instead of its id when the config has it (issue 17)", () => {
    const named = buildReceipt({ ...receipt, registerName: "Register 1" }).toString("latin1");
    expect(named).toContain("REGISTER Register 1");
    expect(named).not.toContain("demo-reg-1");
  });

  it("writes the receipt then the well-formed drawer kick, never the library's malformed one", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyPRINTER");
    const { logger } = captureLogger();
    const printer = new EscPosReceiptPrinter(openTransport({ path: "/dev/ttyPRINTER", baudRate: 19200, binding: serial.binding, logger }), { drawer: true, statusBack: false }, logger);
    printer.start();
    await waitFor(() => printer.status === "online", "printer online");
    await printer.print(receipt);
    await printer.kickDrawer(receipt.paymentId);
    const written = serial.last("/dev/ttyPRINTER").recording;
    expect(written.includes(Buffer.from("PAYMENT pay-00000001"))).toBe(true);
    expect(written.subarray(written.length - 5)).toEqual(DRAWER_KICK);
    expect(written.indexOf(DRAWER_KICK)).toBeGreaterThan(written.indexOf(Buffer.from("1d5600", "hex")));
    expect(written.includes(LIBRARY_DRAWER_KICK)).toBe(false);
    await printer.stop();
  });

  it("does not kick a drawer the config does not have, and holds a receipt asked for while offline until the printer is there", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyPRINTER2");
    const { logger } = captureLogger();
    const printer = new EscPosReceiptPrinter(openTransport({ path: "/dev/ttyPRINTER2", baudRate: 19200, binding: serial.binding, logger }), { drawer: false, statusBack: false }, logger);
    const printed = printer.print(receipt);
    printer.start();
    await printed;
    await printer.kickDrawer(receipt.paymentId);
    const written = serial.last("/dev/ttyPRINTER2").recording;
    expect(written.includes(Buffer.from("PAYMENT pay-00000001"))).toBe(true);
    expect(written.includes(Buffer.from([0x1b, 0x70]))).toBe(false);
    await printer.stop();
  });
});
