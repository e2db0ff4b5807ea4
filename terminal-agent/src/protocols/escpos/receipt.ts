/**
 * The receipt, as ESC/POS bytes built with node-thermal-printer (contracts.md, "Receipt").
 * The library only builds the buffer here: it has no serial interface, so the printer driver writes
 * the bytes itself. Deterministic: the date comes in as a value.
 */
import { CharacterSet, ThermalPrinter, PrinterTypes } from "node-thermal-printer";
import { formatMinor, formatMoney } from "@codepay/contract";
import type { Money } from "@codepay/contract";
import type { ReceiptLine } from "../../core/payment.js";
import { encodeJapaneseText, japanesePreamble } from "./japanese-text.js";
import type { JapaneseEncoding } from "./japanese-text.js";

export { encodeKatakana } from "./japanese-text.js";

export interface ReceiptData {
  readonly storeName: string;
  readonly registerId: string;
  /** The register's name as the shopper's phone showed it; printed instead of the id when known. */
  readonly registerName?: string | undefined;
  readonly paymentId: string;
  readonly amount: Money;
  readonly lines: readonly ReceiptLine[];
  readonly reference?: string | undefined;
  /** Epoch milliseconds of the approval. */
  readonly printedAt: number;
  /** Card payments: the last 4 digits of the card, printed as `CARD ****1234`. Never more. */
  readonly cardLast4?: string | undefined;
  /**
   * "ja": Japanese labels, store name and item texts, in the printer model's encoding (ReceiptOptions
   * `japanese`): half-width Katakana (JIS X 0201 after `ESC t 1`; kanji print as "?"), or Shift_JIS
   * with kanji (`FS C 1`, `FS &` ... `FS .`). See japanese-text.ts.
   */
  readonly language?: "en" | "ja" | undefined;
  /** Card payments in a store that greets by name (config `receipt.greetByName`): "Jane Doe", from track 1. */
  readonly cardholderName?: string | undefined;
  /** Set by the printer driver for any attempt after the first, and on a copy the cashier asked for: the receipt says REPRINT. */
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

/** A node-thermal-printer that only fills a buffer (X/Z reports, slips): the driver writes getBuffer(). */
export function bufferPrinter(width: number): ThermalPrinter {
  return new ThermalPrinter({ type: PrinterTypes.EPSON, interface: noInterface as unknown as string, width });
}

const LF = Buffer.from([0x0a]);

const LABELS = {
  en: { reprint: "*** REPRINT ***", title: undefined, register: "REGISTER", total: "TOTAL", codePay: "CODE PAY", card: "CARD", payment: "PAYMENT", ref: "REF", thanks: undefined, greeting: (name: string) => `Thank you, ${name}` },
  katakana: { reprint: "*** ｻｲﾊｯｺｳ ***", title: undefined, register: "ﾚｼﾞ", total: "ｺﾞｳｹｲ", codePay: "CODE PAY", card: "ｶｰﾄﾞ", payment: "ｹｯｻｲ", ref: "ｼｮｳﾆﾝ", thanks: "ｱﾘｶﾞﾄｳｺﾞｻﾞｲﾏｼﾀ", greeting: (name: string) => `${name} ｻﾏ` },
  shift_jis: { reprint: "*** 再発行 ***", title: "領収書", register: "レジ", total: "合計", codePay: "CODE PAY", card: "カード", payment: "決済", ref: "承認", thanks: "ありがとうございました", greeting: (name: string) => `${name} 様` },
} as const;

export interface ReceiptOptions {
  /** Characters per line (font A on 80 mm paper: 42). */
  readonly width?: number | undefined;
  /** How this printer model prints Japanese (config `devices.printer.japanese`); katakana by default. */
  readonly japanese?: JapaneseEncoding | undefined;
}

export function buildReceipt(data: ReceiptData, options: ReceiptOptions = {}): Buffer {
  const width = options.width ?? 42;
  // The d.ts types `interface` as a string; the library accepts an object with execute() (lib/interfaces/index.js).
  // PC858 (ESC t 19: PC850 Multilingual with the euro sign) holds Western European text and € in one table.
  // Without a starting page the library writes an "Encoding not recognized" stack to stderr for every
  // non-ASCII character, and finds € first in ISO 8859-7 (Greek, ESC t 15).
  const printer = new ThermalPrinter({ type: PrinterTypes.EPSON, interface: noInterface as unknown as string, width, characterSet: CharacterSet.PC858_EURO });
  const encoding: JapaneseEncoding | undefined = data.language === "ja" ? (options.japanese ?? "katakana") : undefined;
  const labels = LABELS[encoding ?? "en"];
  // Japanese text goes in as the model's bytes (add()): println() would re-encode it in the library's code page.
  const println = (text: string): void => {
    if (encoding) printer.add(Buffer.concat([encodeJapaneseText(text, encoding).bytes, LF]));
    else printer.println(text);
  };
  const leftRight = (left: string, right: string): void => {
    if (!encoding) return printer.leftRight(left, right);
    const leftText = encodeJapaneseText(left, encoding);
    const rightText = encodeJapaneseText(right, encoding);
    const gap = Math.max(1, width - leftText.columns - rightText.columns);
    printer.add(Buffer.concat([leftText.bytes, Buffer.alloc(gap, 0x20), rightText.bytes, LF]));
  };
  if (encoding) printer.add(japanesePreamble(encoding));
  printer.alignCenter();
  printer.bold(true);
  if (data.reprint) println(labels.reprint);
  println(data.storeName);
  if (labels.title !== undefined) println(labels.title);
  printer.bold(false);
  printer.println(formatDate(data.printedAt));
  println(`${labels.register} ${data.registerName ?? data.registerId}`);
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
  if (data.cardholderName !== undefined) println(labels.greeting(data.cardholderName));
  if (labels.thanks !== undefined) println(labels.thanks);
  printer.alignCenter();
  printer.printQR(data.paymentId, { cellSize: 4, correction: "M", model: 2 });
  printer.alignLeft();
  // cut() is GS V 0 followed by ESC @ (1B 40): the reset is fine here because nothing but the drawer kick follows
  // (it also ends kanji mode and the code table for whatever comes next).
  printer.cut();
  return Buffer.from(printer.getBuffer());
}

/** UTC, so a receipt does not depend on the host's time zone: `2025-11-25 09:41 UTC`. */
export function formatDate(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
