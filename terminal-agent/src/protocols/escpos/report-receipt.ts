/**
 * X/Z report as ESC/POS bytes, built with node-thermal-printer like the payment receipt (the
 * library only builds the buffer; the printer driver writes it). Deterministic: times come in the
 * report. Layout: store name, "X REPORT"/"Z REPORT", register, period, opened/closed; per currency
 * and tender: payments, voids, refunds (count and amount), net; a cut.
 */
import { formatMinor } from "@codepay/contract";
import type { CurrencyCode, Report } from "@codepay/contract";
import { bufferPrinter, formatDate, type ReceiptData } from "./receipt.js";

/** `registerName`: the name the shoppers' phones show, printed instead of the register id when known. */
export function buildReportReceipt(report: Report, storeName: string, width = 42, registerName?: string): Buffer {
  const printer = bufferPrinter(width);
  printer.alignCenter();
  printer.bold(true);
  printer.println(storeName);
  printer.println(report.kind === "z" ? "Z REPORT" : "X REPORT");
  printer.bold(false);
  printer.println(`REGISTER ${registerName ?? report.registerId}`);
  printer.println(`PERIOD ${report.periodNumber}`);
  printer.alignLeft();
  printer.drawLine();
  printer.leftRight("OPENED", formatDate(report.openedAt));
  if (report.closedAt !== undefined) printer.leftRight("CLOSED", formatDate(report.closedAt));
  if (report.totals.length === 0) printer.println("NO PAYMENTS");
  for (const row of report.totals) {
    const amount = (minor: number) => formatMinor(minor, row.currency as CurrencyCode);
    printer.drawLine();
    printer.bold(true);
    printer.println(`${row.currency} ${row.tender.toUpperCase()}`);
    printer.bold(false);
    printer.leftRight(`PAYMENTS ${row.payments.count}`, amount(row.payments.minor));
    printer.leftRight(`VOIDS ${row.voids.count}`, amount(-row.voids.minor));
    printer.leftRight(`REFUNDS ${row.refunds.count}`, amount(-row.refunds.minor));
    printer.bold(true);
    printer.leftRight("NET", amount(row.netMinor));
    printer.bold(false);
  }
  printer.drawLine();
  printer.println(report.kind === "z" ? "PERIOD CLOSED" : "RUNNING TOTALS");
  printer.cut();
  return Buffer.from(printer.getBuffer());
}

/**
 * What the shell needs from a printer to print a report: raw bytes through the driver's queue.
 * The device layer's printer exposes it as `printRaw`; a printer without it logs and skips.
 */
export interface RawBytesPrinter {
  printRaw(bytes: Buffer, jobId: string): Promise<void>;
}

export function canPrintRaw(printer: object | undefined): printer is RawBytesPrinter {
  return printer !== undefined && typeof (printer as Partial<RawBytesPrinter>).printRaw === "function";
}

/** A printer that can print a receipt's copy under `*** REPRINT ***` (the ESC/POS driver's `printCopy`). */
export interface CopyPrinter {
  printCopy(receipt: ReceiptData, jobId: string): Promise<void>;
}

export function canPrintCopy(printer: object | undefined): printer is CopyPrinter {
  return printer !== undefined && typeof (printer as Partial<CopyPrinter>).printCopy === "function";
}
