import { describe, expect, it } from "vitest";
import { ThermalPrinter, PrinterTypes } from "node-thermal-printer";
import { createEscPosDecoder, ReceiptPrinterEmulator, type PrinterCommand } from "../src/index.js";

// node-thermal-printer is an independent source of real ESC/POS bytes (tests only).
function newLibraryPrinter(): ThermalPrinter {
  return new ThermalPrinter({ type: PrinterTypes.EPSON, interface: "tcp://127.0.0.1:9", width: 42 });
}

function libraryBytes(build: (printer: ThermalPrinter) => void): Buffer {
  const printer = newLibraryPrinter();
  build(printer);
  return printer.getBuffer();
}

function realisticReceipt(paymentId: string): Buffer {
  return libraryBytes((p) => {
    p.alignCenter();
    p.bold(true);
    p.println("Demo Store");
    p.bold(false);
    p.println("2026-01-01 10:00");
    p.println("Register demo-reg-1");
    p.alignLeft();
    p.drawLine();
    p.tableCustom([
      { text: "Coffee", align: "LEFT", width: 0.5 },
      { text: "JPY 1200", align: "RIGHT", width: 0.5 },
    ]);
    p.drawLine();
    p.bold(true);
    p.leftRight("TOTAL", "JPY 1200");
    p.bold(false);
    p.newLine();
    p.setTextSize(1, 1);
    p.println("CODE PAY");
    p.setTextNormal();
    p.println(`PAYMENT ${paymentId}`);
    p.println("REF R-0001");
    p.alignCenter();
    p.printQR(paymentId);
    p.cut();
  });
}

const DRAWER_KICK = Buffer.from([0x1b, 0x70, 0x00, 0x19, 0xfa]);

function decodeAll(bytes: Buffer): PrinterCommand[] {
  return createEscPosDecoder().push(bytes);
}

describe("ESC/POS decoder on bytes from node-thermal-printer", () => {
  it("understands every byte the library emits for the commands the agent uses", () => {
    const bytes = libraryBytes((p) => {
      p.alignCenter(); p.alignLeft(); p.alignRight(); p.bold(true); p.bold(false);
      p.setTextSize(1, 1); p.setTextNormal(); p.setTextDoubleHeight(); p.setTextDoubleWidth(); p.setTextQuadArea();
      p.underline(true); p.underlineThick(true); p.underline(false); p.invert(true); p.invert(false);
      p.upsideDown(true); p.upsideDown(false); p.setTypeFontA(); p.setTypeFontB(); p.beep();
      p.println("line"); p.print("text"); p.newLine(); p.drawLine();
      p.tableCustom([{ text: "a", align: "LEFT", width: 0.5 }, { text: "b", align: "RIGHT", width: 0.5, bold: true }]);
      p.leftRight("L", "R"); p.code128("1234"); p.printQR("qr-data"); p.partialCut(); p.cut();
    });
    const commands = decodeAll(bytes);
    const notUnderstood = commands.filter((command) => command.type === "unknown" || command.type === "resync");
    expect(notUnderstood).toEqual([]);
    expect(commands.filter((command) => command.type === "cut")).toHaveLength(2);
  });

  it("decodes a realistic receipt into lines, alignment, bold, size, QR payload and cut", () => {
    const printer = new ReceiptPrinterEmulator();
    printer.receive(Buffer.concat([realisticReceipt("pay-0001"), DRAWER_KICK]));
    const snapshot = printer.snapshot();
    expect(snapshot.unknownCommands).toBe(0);
    expect(snapshot.receipts).toHaveLength(1);
    const receipt = snapshot.receipts[0]!;
    expect(receipt.lines[0]).toEqual({ text: "Demo Store", align: "center", bold: true, size: { width: 1, height: 1 } });
    expect(receipt.lines[1]).toMatchObject({ text: "2026-01-01 10:00", align: "center", bold: false });
    const total = receipt.lines.find((line) => line.text.startsWith("TOTAL"));
    expect(total).toMatchObject({ align: "left", bold: true });
    expect(total!.text).toMatch(/^TOTAL +JPY 1200$/);
    expect(receipt.lines.find((line) => line.text === "CODE PAY")).toMatchObject({ size: { width: 2, height: 2 } });
    expect(receipt.text).toContain("PAYMENT pay-0001");
    expect(receipt.text).toContain("Coffee");
    expect(receipt.qr).toEqual(["pay-0001"]);
    expect(receipt.cut).toBe(true);
    expect(receipt.drawerKicks).toBe(1);
    expect(receipt.text).toBe(receipt.lines.map((line) => line.text).join("\n"));
    expect(snapshot.printing).toBeUndefined();
  });

  it("keeps receipts apart: each cut closes one, in order", () => {
    const printer = new ReceiptPrinterEmulator();
    printer.receive(Buffer.concat([realisticReceipt("pay-A"), realisticReceipt("pay-B")]));
    expect(printer.snapshot().receipts.map((receipt) => receipt.qr[0])).toEqual(["pay-A", "pay-B"]);
    expect(printer.snapshot().receipts.every((receipt) => receipt.drawerKicks === 0)).toBe(true);
  });

  it("counts the correct drawer kick and flags the library's malformed one", () => {
    const printer = new ReceiptPrinterEmulator();
    printer.receive(libraryBytes((p) => p.openCashDrawer()));
    expect(Buffer.from(libraryBytes((p) => p.openCashDrawer())).toString("hex")).toBe("1b70001b7001");
    expect(printer.snapshot().malformedDrawerKicks).toBe(1);
    expect(printer.snapshot().drawerKicksTotal).toBe(0);
    // The dangling `1b 70 01` must not swallow the next receipt's ESC @.
    printer.receive(Buffer.concat([Buffer.from([0x1b, 0x40]), Buffer.from("after\n"), Buffer.from([0x1d, 0x56, 0x00])]));
    expect(printer.snapshot().malformedDrawerKicks).toBe(2);
    expect(printer.snapshot().receipts.at(-1)!.text).toBe("after");
    printer.receive(DRAWER_KICK);
    expect(printer.snapshot().drawerKicksTotal).toBe(1);
    expect(printer.snapshot().receipts.at(-1)!.drawerKicks).toBe(1);
  });

  it("closes a receipt on every form of GS V", () => {
    const cuts = [[0x00], [0x01], [0x30], [0x31], [0x41, 0x03], [0x42, 0x00], [0x61, 0x05], [0x62, 0x01], [0x67, 0x02], [0x68, 0x00]];
    const printer = new ReceiptPrinterEmulator();
    for (const [index, cut] of cuts.entries()) printer.receive(Buffer.from([...Buffer.from(`r${index}\n`), 0x1d, 0x56, ...cut]));
    expect(printer.snapshot().receipts.map((receipt) => receipt.text)).toEqual(cuts.map((_, index) => `r${index}`));
    expect(printer.snapshot().unknownCommands).toBe(0);
  });

  it("stores a long QR payload across pH (GS ( k fn 80) and prints it (fn 81)", () => {
    const payload = "x".repeat(300);
    const stored = 3 + payload.length;
    const bytes = Buffer.concat([
      Buffer.from([0x1d, 0x28, 0x6b, stored & 0xff, stored >> 8, 0x31, 0x50, 0x30]), Buffer.from(payload),
      Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30, 0x1d, 0x56, 0x00]),
    ]);
    const printer = new ReceiptPrinterEmulator();
    for (let offset = 0; offset < bytes.length; offset += 7) printer.receive(bytes.subarray(offset, offset + 7));
    expect(printer.snapshot().receipts[0]!.qr).toEqual([payload]);
  });

  it("skips a raster image by its declared size even when its data looks like text and LF", () => {
    const image = Buffer.alloc(4 * 3, 0x0a);
    const bytes = Buffer.concat([Buffer.from([0x1d, 0x76, 0x30, 0x00, 4, 0, 3, 0]), image, Buffer.from("after\n")]);
    const printer = new ReceiptPrinterEmulator();
    printer.receive(bytes);
    expect(printer.snapshot().printing?.lines.map((line) => line.text)).toEqual(["after"]);
  });

  it("ESC ! sets bold and double size; ESC @ resets the modes", () => {
    const printer = new ReceiptPrinterEmulator();
    printer.receive(Buffer.from([0x1b, 0x21, 0x38, ...Buffer.from("BIG\n"), 0x1b, 0x40, ...Buffer.from("small\n")]));
    expect(printer.snapshot().printing?.lines).toEqual([
      { text: "BIG", align: "left", bold: true, size: { width: 2, height: 2 } },
      { text: "small", align: "left", bold: false, size: { width: 1, height: 1 } },
    ]);
  });
});

describe("printer status", () => {
  it("answers DLE EOT n with one byte of pattern 0xx1xx10 reflecting the faults", () => {
    const printer = new ReceiptPrinterEmulator();
    const sent: number[] = [];
    printer.onTransmit((bytes) => sent.push(...bytes));
    printer.receive(Buffer.from([0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04]));
    expect(sent).toEqual([0x12, 0x12, 0x12]);
    printer.setFaults({ paperNearEnd: true });
    printer.receive(Buffer.from([0x10, 0x04, 0x04]));
    printer.setFaults({ paperEnd: true, coverOpen: true });
    printer.receive(Buffer.from([0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04]));
    expect(sent.slice(3)).toEqual([0x12 | 0x0c, 0x12 | 0x08, 0x12 | 0x04 | 0x20, 0x12 | 0x0c | 0x60]);
    expect(sent.every((byte) => (byte & 0b1001_0011) === 0b0001_0010)).toBe(true);
  });

  it("answers DLE EOT even in the middle of text, without disturbing the receipt", () => {
    const printer = new ReceiptPrinterEmulator();
    const sent: number[] = [];
    printer.onTransmit((bytes) => sent.push(...bytes));
    printer.receive(Buffer.from([...Buffer.from("AB"), 0x10, 0x04, 0x01, ...Buffer.from("CD\n")]));
    expect(sent).toEqual([0x12]);
    expect(printer.snapshot().printing?.text).toBe("ABCD");
  });

  it("sends Automatic Status Back (4 bytes, first 0xx1xx00) on GS a and on every fault change", () => {
    const printer = new ReceiptPrinterEmulator();
    const sent: Buffer[] = [];
    printer.onTransmit((bytes) => sent.push(bytes));
    printer.setFaults({ paperNearEnd: true }); // ASB off: nothing sent
    expect(sent).toHaveLength(0);
    printer.receive(Buffer.from([0x1d, 0x61, 0xff]));
    printer.setFaults({ coverOpen: true });
    printer.setFaults({ coverOpen: true }); // no change: nothing sent
    expect(sent.map((bytes) => bytes.toString("hex"))).toEqual(["10000300", "38000300"]);
    expect(sent.every((bytes) => bytes.length === 4 && (bytes[0]! & 0b1001_0011) === 0b0001_0000)).toBe(true);
  });
});
