/**
 * The receipt, as ESC/POS bytes built with node-thermal-printer (contracts.md, "Receipt").
 * The library only builds the buffer here: it has no serial interface, so the printer driver writes
 * the bytes itself. Deterministic: the date comes in as a value.
 */
import { ThermalPrinter, PrinterTypes } from "node-thermal-printer";
import { formatMinor, formatMoney } from "@codepay/sync-server/protocol";
import type { Money } from "@codepay/sync-server/protocol";
import type { ReceiptLine } from "../../core/payment.js";

export interface ReceiptData {
  readonly storeName: string;
  readonly registerId: string;
  readonly paymentId: string;
  readonly amount: Money;
  readonly lines: readonly ReceiptLine[];
  readonly reference?: string | undefined;
  /** Epoch milliseconds of the approval. */
  readonly printedAt: number;
  /** Card payments: the last 4 digits of the card, printed as `CARD ****1234`. Never more. */
  readonly cardLast4?: string | undefined;
  /** Set by the printer driver for any attempt after the first: the receipt says REPRINT. */
  readonly reprint?: boolean | undefined;
}

/** Never used for I/O: the library wants an interface, the driver writes getBuffer() itself. */
const noInterface = {
  getPrinterName: () => "codepay-buffer",
  isPrinterConnected: async () => false,
  execute: async () => {
    throw new Error("the receipt builder does not print; write getBuffer() to the transport");
  },
};

export function buildReceipt(data: ReceiptData, width = 42): Buffer {
  // The d.ts types `interface` as a string; the library accepts an object with execute() (lib/interfaces/index.js).
  const printer = new ThermalPrinter({ type: PrinterTypes.EPSON, interface: noInterface as unknown as string, width });
  printer.alignCenter();
  printer.bold(true);
  if (data.reprint) printer.println("*** REPRINT ***");
  printer.println(data.storeName);
  printer.bold(false);
  printer.println(formatDate(data.printedAt));
  printer.println(`REGISTER ${data.registerId}`);
  printer.alignLeft();
  printer.drawLine();
  for (const line of data.lines) {
    if (line.amountMinor === undefined) printer.println(line.text);
    else printer.leftRight(line.text, formatMinor(line.amountMinor, data.amount.currency));
  }
  printer.bold(true);
  printer.leftRight("TOTAL", formatMoney(data.amount));
  printer.bold(false);
  printer.drawLine();
  printer.println(data.cardLast4 !== undefined ? `CARD ****${data.cardLast4}` : "CODE PAY");
  printer.println(`PAYMENT ${data.paymentId}`);
  if (data.reference !== undefined) printer.println(`REF ${data.reference}`);
  printer.alignCenter();
  printer.printQR(data.paymentId, { cellSize: 4, correction: "M", model: 2 });
  printer.alignLeft();
  // cut() is GS V 0 followed by ESC @ (1B 40): the reset is fine here because nothing but the drawer kick follows.
  printer.cut();
  return Buffer.from(printer.getBuffer());
}

/** UTC, so a receipt does not depend on the host's time zone: `2025-11-25 09:41 UTC`. */
export function formatDate(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
