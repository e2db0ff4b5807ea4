/**
 * Serial magnetic-stripe reader: splits the byte stream into lines and reports a MASKED summary only.
 * The raw line (PAN, track data) never leaves this file: not in logs, events or errors (PCI DSS).
 * Full card handling (track assembly, Luhn, LRC) is a later issue.
 */
import { ReadlineParser } from "@serialport/parser-readline";
import type { Logger } from "pino";
import { cardLineBytesMax } from "../core/limits.js";
import { describeCardLine, summarizeCardLine } from "../protocols/magstripe/mask.js";
import type { CardLineSummary } from "../protocols/magstripe/mask.js";
import { PosDevice } from "./pos-device.js";
import type { Transport } from "./transport.js";

const CR = 0x0d;
const LF = 0x0a;

export class SerialCardReader extends PosDevice<CardLineSummary> {
  #parser: ReadlineParser | undefined;
  #bytesSinceLine = 0;

  constructor(transport: Transport, logger: Logger) {
    super("cardReader", transport, logger);
  }

  protected onReady(): void {}

  // A fresh parser per connection: a half line from before an unplug is garbage.
  protected resetInput(): void {
    this.#reset();
  }

  protected receive(bytes: Buffer): void {
    this.#receive(bytes);
  }

  #newParser(): ReadlineParser {
    // Readers end tracks with CR, LF or CR LF: CR is folded into LF before the parser sees it.
    const parser = new ReadlineParser({ delimiter: "\n", encoding: "latin1" });
    parser.on("data", (line: string) => this.#line(line));
    return parser;
  }

  #reset(): void {
    this.#parser?.removeAllListeners("data");
    this.#parser = this.#newParser();
    this.#bytesSinceLine = 0;
  }

  #receive(bytes: Buffer): void {
    const folded = Buffer.from(bytes);
    for (let i = 0; i < folded.length; i++) {
      if (folded[i] === CR) folded[i] = LF;
      if (folded[i] === LF) this.#bytesSinceLine = 0;
      else this.#bytesSinceLine++;
    }
    if (this.#bytesSinceLine > cardLineBytesMax) {
      this.logger.warn({ code: "CARD_LINE_TOO_LONG" }, "card reader line too long, resynced");
      this.#reset();
      return;
    }
    (this.#parser ??= this.#newParser()).write(folded);
  }

  #line(line: string): void {
    if (line.trim().length === 0) return;
    const summary: CardLineSummary = summarizeCardLine(line);
    this.logger.info({ kind: summary.kind, ...(summary.last4 ? { last4: summary.last4 } : {}) }, describeCardLine(summary));
    this.emit("data", summary);
  }
}
