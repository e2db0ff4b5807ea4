import { describe, expect, it } from "vitest";
import { ReceiptPrinterEmulator } from "../src/index.js";

const text = (value: string) => Buffer.from(value, "latin1");
const CUT = Buffer.from([0x1d, 0x56, 0x00]);
const DLE_EOT_2 = Buffer.from([0x10, 0x04, 0x02]);
const GS_R_1 = Buffer.from([0x1d, 0x72, 0x01]);

function printerWithTransmitLog() {
  const printer = new ReceiptPrinterEmulator();
  const sent: number[] = [];
  printer.onTransmit((bytes) => sent.push(...bytes));
  return { printer, sent };
}

describe("printer emulator faults", () => {
  it("paper end tears the open receipt, holds what follows, answers DLE EOT at once and prints the rest on refill", () => {
    const { printer, sent } = printerWithTransmitLog();
    printer.setFaults({ paperEndAfterLines: 2 });
    printer.receive(Buffer.concat([text("one\ntwo\nthree\nfour\n"), GS_R_1, CUT, DLE_EOT_2]));
    const torn = printer.snapshot();
    expect(torn.receipts).toEqual([expect.objectContaining({ text: "one\ntwo", torn: true, cut: false })]);
    expect(torn.faults.paperEnd).toBe(true);
    expect(torn.heldCommands).toBe(6); // three, LF, four, LF, GS r, GS V
    expect(sent).toEqual([0x32]); // DLE EOT 2 answered while offline: bit 5 paper end (0x32 = 0011 0010)
    printer.setFaults({ paperEnd: false });
    const after = printer.snapshot();
    expect(after.receipts[1]).toMatchObject({ text: "three\nfour", cut: true });
    expect(after.heldCommands).toBe(0);
    expect(sent).toEqual([0x32, 0x00]); // GS r 1 answered only once its turn came: paper fine
  });

  it("an open cover holds the data and the same receipt continues when it closes; ESC @ turns ASB off", () => {
    const { printer, sent } = printerWithTransmitLog();
    printer.receive(Buffer.from([0x1d, 0x61, 0x0f])); // GS a: ASB on, first block at once
    expect(sent).toEqual([0x10, 0, 0, 0]);
    printer.receive(text("head\n"));
    printer.setFaults({ coverOpen: true });
    printer.receive(Buffer.concat([text("tail\n"), CUT]));
    expect(printer.snapshot().receipts).toEqual([]);
    printer.setFaults({ coverOpen: false });
    expect(printer.snapshot().receipts).toEqual([expect.objectContaining({ text: "head\ntail", cut: true })]);
    printer.receive(Buffer.from([0x1b, 0x40]));
    expect(printer.snapshot().automaticStatusBack).toBe(false);
  });
});
