/**
 * The slip of a refund or void (issue 17): money went back, so paper says so, as the payment's
 * receipt did when it came in. Built with node-thermal-printer like the X/Z report (the library only
 * fills a buffer; the printer driver writes it). Layout: store name, REFUND or VOID, the time,
 * register, the original payment and its amount, what went back, the cashier's reason, the server's
 * reference, a signature line, a cut. The reason is the cashier's own text: characters outside
 * printable ASCII print as "?" (the slip uses the printer's default code page).
 */
import { formatMinor } from "@codepay/contract";
import type { CurrencyCode } from "@codepay/contract";
import type { ReversalSlip } from "../../core/effects.js";
import { bufferPrinter, formatDate } from "./receipt.js";

export interface ReversalSlipData extends ReversalSlip {
  readonly storeName: string;
  /** The register's name, else its id. */
  readonly register: string;
  readonly printedAt: number;
}

/** Printable ASCII only: anything else becomes "?" (a slip has no Japanese code page set). */
export function slipText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}

export function buildReversalSlip(slip: ReversalSlipData, width = 42): Buffer {
  const printer = bufferPrinter(width);
  const amount = (minor: number) => formatMinor(minor, slip.original.currency as CurrencyCode);
  printer.alignCenter();
  printer.bold(true);
  printer.println(slipText(slip.storeName));
  printer.println(slip.kind === "void" ? "VOID" : "REFUND");
  printer.bold(false);
  printer.println(formatDate(slip.printedAt));
  printer.println(`REGISTER ${slipText(slip.register)}`);
  printer.alignLeft();
  printer.drawLine();
  // A 36-character UUID does not fit beside its label on 42 columns: then the id has its own line.
  if (`PAYMENT ${slip.paymentId}`.length <= width) printer.println(`PAYMENT ${slip.paymentId}`);
  else {
    printer.println("PAYMENT");
    printer.println(slip.paymentId);
  }
  printer.leftRight("ORIGINAL", `${slip.original.currency} ${amount(slip.original.minor)}`);
  printer.bold(true);
  printer.leftRight(slip.kind === "void" ? "VOIDED" : "REFUNDED", `${slip.original.currency} ${amount(-slip.amountMinor)}`);
  printer.bold(false);
  if (slip.refundId !== undefined) printer.println(`REFUND ${slip.refundId}`);
  if (slip.note !== undefined) printer.println(`REASON ${slipText(slip.note)}`);
  if (slip.reference !== undefined) printer.println(`REF ${slip.reference}`);
  printer.drawLine();
  printer.newLine();
  printer.println("SIGNATURE ______________________");
  printer.cut();
  return Buffer.from(printer.getBuffer());
}
