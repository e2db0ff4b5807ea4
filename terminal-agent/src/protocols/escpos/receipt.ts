/**
 * The receipt, as ESC/POS bytes built with node-thermal-printer (contracts.md, "Receipt").
 * The library only builds the buffer here: it has no serial interface, so the printer driver writes
 * the bytes itself. Deterministic: the date comes in as a value.
 */
import { ThermalPrinter, PrinterTypes } from "node-thermal-printer";
import { formatMinor, formatMoney } from "@codepay/sync-server/protocol";
import type { Money } from "@codepay/sync-server/protocol";
import type { ReceiptLine } from "../../core/payment.js";
import { encodeDisplayText, toHalfWidth } from "../pole-display/character-map.js";

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
  /**
   * "ja": labels in half-width Katakana (JIS X 0201 bytes 0xA1-0xDF after `ESC t 1`); the store name
   * and item texts are folded to half-width (anything without a JIS X 0201 form prints as "?").
   */
  readonly language?: "en" | "ja" | undefined;
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

/** ESC t 1: character code table Katakana (JIS X 0201 in 0xA1-0xDF). */
const SELECT_KATAKANA = Buffer.from([0x1b, 0x74, 0x01]);
const LF = Buffer.from([0x0a]);

const LABELS = {
  en: { reprint: "*** REPRINT ***", register: "REGISTER", total: "TOTAL", codePay: "CODE PAY", card: "CARD", payment: "PAYMENT", ref: "REF", thanks: undefined },
  ja: { reprint: "*** ｻｲﾊｯｺｳ ***", register: "ﾚｼﾞ", total: "ｺﾞｳｹｲ", codePay: "CODE PAY", card: "ｶｰﾄﾞ", payment: "ｹｯｻｲ", ref: "ｼｮｳﾆﾝ", thanks: "ｱﾘｶﾞﾄｳｺﾞｻﾞｲﾏｼﾀ" },
} as const;

/** JIS X 0201 bytes: ASCII as is, half-width Katakana 0xA1-0xDF, anything else "?". */
export function encodeKatakana(text: string): Buffer {
  return encodeDisplayText(toHalfWidth(text), { euro: undefined, katakana: true });
}

export function buildReceipt(data: ReceiptData, width = 42): Buffer {
  // The d.ts types `interface` as a string; the library accepts an object with execute() (lib/interfaces/index.js).
  const printer = new ThermalPrinter({ type: PrinterTypes.EPSON, interface: noInterface as unknown as string, width });
  const ja = data.language === "ja";
  const labels = LABELS[ja ? "ja" : "en"];
  // Japanese text goes in as JIS X 0201 bytes (add()): println() would re-encode it in the library's code page.
  const println = (text: string): void => {
    if (ja) printer.add(Buffer.concat([encodeKatakana(text), LF]));
    else printer.println(text);
  };
  const leftRight = (left: string, right: string): void => {
    if (!ja) return printer.leftRight(left, right);
    const leftBytes = encodeKatakana(left);
    const rightBytes = encodeKatakana(right);
    const gap = Math.max(1, width - leftBytes.length - rightBytes.length);
    printer.add(Buffer.concat([leftBytes, Buffer.alloc(gap, 0x20), rightBytes, LF]));
  };
  if (ja) printer.add(SELECT_KATAKANA);
  printer.alignCenter();
  printer.bold(true);
  if (data.reprint) println(labels.reprint);
  println(data.storeName);
  printer.bold(false);
  printer.println(formatDate(data.printedAt));
  println(`${labels.register} ${data.registerId}`);
  printer.alignLeft();
  printer.drawLine();
  for (const line of data.lines) {
    if (line.amountMinor === undefined) println(line.text);
    else leftRight(line.text, formatMinor(line.amountMinor, data.amount.currency));
  }
  printer.bold(true);
  leftRight(labels.total, formatMoney(data.amount));
  printer.bold(false);
  printer.drawLine();
  println(data.cardLast4 !== undefined ? `${labels.card} ****${data.cardLast4}` : labels.codePay);
  println(`${labels.payment} ${data.paymentId}`);
  if (data.reference !== undefined) println(`${labels.ref} ${data.reference}`);
  if (labels.thanks !== undefined) println(labels.thanks);
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
