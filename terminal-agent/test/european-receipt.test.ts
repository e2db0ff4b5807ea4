/**
 * A European receipt, built by the agent and read back by the simulated printer, whose code tables
 * are written from the code charts (hardware-sim/src/protocols/code-tables.ts), not from this encoder.
 */
import { describe, expect, it } from "vitest";
import { ReceiptPrinterEmulator } from "@codepay/hardware-sim";
import { buildReceipt } from "../src/protocols/escpos/receipt.js";

describe("European text on the receipt", () => {
  it("Grüße aus Köln, Café crème and € come out as written", () => {
    const printer = new ReceiptPrinterEmulator();
    printer.receive(
      buildReceipt({
        storeName: "Café crème",
        registerId: "koeln-1",
        paymentId: "pay-eu-1",
        amount: { minor: 750, currency: "EUR" },
        lines: [
          { text: "Grüße aus Köln", amountMinor: 400 },
          { text: "Crème brûlée (€)", amountMinor: 350 },
        ],
        printedAt: Date.UTC(2026, 0, 2, 9, 30),
      }),
    );
    const text = printer.snapshot().receipts.at(-1)!.text;
    expect(text).toContain("Café crème\n");
    expect(text).toMatch(/Grüße aus Köln\s+4\.00/);
    expect(text).toMatch(/Crème brûlée \(€\)\s+3\.50/);
    expect(text).not.toContain("\uFFFD");
    expect(text).not.toContain("?");
  });
});
