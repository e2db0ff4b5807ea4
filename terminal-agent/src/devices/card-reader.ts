/**
 * Serial magnetic-stripe reader (UnifiedPOS MSR). Bytes go through @serialport/parser-readline, split
 * at the reader's terminator (CR by default); each line joins the swipe being assembled, which ends
 * at ETX (and its LRC), at the end of a line once it holds track 2, or when the line has been quiet
 * for the inter-byte timeout (readers that send no terminator). The swipe is checked (swipe.ts) and:
 *   data  { last4, maskedPan, expiry, token, cardholderName? }: token = HMAC-SHA256(cardKey, PAN) hex;
 *         cardholderName only when the store greets by name
 *   error { code, message }: a bad read, bad track, Luhn, tracks that disagree, LRC, noise, no card key
 * Line noise with no card in it (NUL/0xFF bytes, a lone track 3, a stray suffix) is dropped quietly.
 * PCI DSS: the PAN, track data and the cardholder's name never leave this file in events, logs or
 * errors (the name only as the greeting, when enabled), and the bytes are dropped as soon as the swipe
 * is checked.
 */
import { createHmac } from "node:crypto";
import { ReadlineParser } from "@serialport/parser-readline";
import type { Logger } from "pino";
import { cardSwipeBytesMax, cardSwipeInterByteTimeoutMs } from "../core/limits.js";
import { checkSwipe, emptyAssembly, endSwipe, greetingName, maskPan, pushSwipeText } from "../protocols/magstripe/swipe.js";
import type { AssemblyOutput, SwipeAssembly, SwipeFraming } from "../protocols/magstripe/swipe.js";
import type { CardRead } from "./device.js";
import { PosDevice } from "./pos-device.js";
import type { Transport } from "./transport.js";

/** The reader's line terminator (config `devices.cardReader.terminator`). */
export const CARD_READER_TERMINATORS = { CR: "\r", LF: "\n", CRLF: "\r\n", ETX: "\x03" } as const;
export type CardReaderTerminator = keyof typeof CARD_READER_TERMINATORS;

export interface CardReaderOptions {
  readonly framing?: SwipeFraming | undefined;
  readonly terminator?: CardReaderTerminator | undefined;
  readonly interByteTimeoutMs?: number | undefined;
  /** The deployment's card key (bytes); without it every good swipe is refused with CARD_KEY_MISSING. */
  readonly cardKey?: Buffer | undefined;
  /** Pass the cardholder's name (from track 1) on, for a greeting on the receipt. Off by default. */
  readonly greetByName?: boolean | undefined;
}

export class SerialCardReader extends PosDevice<CardRead> {
  #assembly: SwipeAssembly = emptyAssembly;
  #lines: ReadlineParser;
  #quietTimer: NodeJS.Timeout | undefined;

  constructor(
    transport: Transport,
    logger: Logger,
    private readonly options: CardReaderOptions = {},
  ) {
    super("cardReader", transport, logger);
    this.#lines = this.#lineParser();
  }

  protected onReady(): void {}

  /** A fresh line parser and assembly per connection: half a swipe from before an unplug is garbage. */
  protected resetInput(): void {
    clearTimeout(this.#quietTimer);
    this.#assembly = emptyAssembly;
    this.#lines.removeAllListeners("data");
    this.#lines.destroy();
    this.#lines = this.#lineParser();
  }

  override async release(): Promise<void> {
    this.resetInput();
    await super.release();
  }

  #lineParser(): ReadlineParser {
    const delimiter = CARD_READER_TERMINATORS[this.options.terminator ?? "CR"];
    const parser = new ReadlineParser({ delimiter, includeDelimiter: true, encoding: "latin1" });
    parser.on("data", (line: string) => this.#push(line, true));
    parser.on("error", () => undefined);
    return parser;
  }

  protected receive(bytes: Buffer): void {
    if (!this.#assembly.overflowed) {
      this.#lines.write(bytes);
      // The line parser keeps what has no terminator yet; it must not grow without bound either.
      if (this.#lines.buffer.length > cardSwipeBytesMax) {
        this.#lines.buffer = Buffer.alloc(0);
        this.#assembly = { ...emptyAssembly, overflowed: true };
      }
    }
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#quiet(), this.options.interByteTimeoutMs ?? cardSwipeInterByteTimeoutMs);
    this.#quietTimer.unref();
  }

  #push(text: string, lineEnded: boolean): void {
    const pushed = pushSwipeText(this.#assembly, text, this.options.framing, lineEnded);
    this.#assembly = pushed.state;
    for (const output of pushed.outputs) this.#swipe(output);
  }

  /** The line went quiet: what the line parser holds (no terminator came) ends the swipe. */
  #quiet(): void {
    const rest = this.#lines.buffer.toString("latin1");
    this.#lines.buffer = Buffer.alloc(0);
    if (rest.length > 0) this.#push(rest, false);
    const outputs = endSwipe(this.#assembly);
    this.#assembly = emptyAssembly;
    for (const output of outputs) this.#swipe(output);
  }

  #swipe(output: AssemblyOutput): void {
    if (output.kind === "tooLong") return this.#error("CARD_SWIPE_TOO_LONG", "more bytes than any swipe has (noise on the line); dropped");
    const result = checkSwipe(output.text, this.options.framing);
    if (!result.ok) {
      if (result.noise) return this.logger.debug({ code: result.code }, "line noise from the card reader ignored");
      return this.#error(result.code, result.message);
    }
    const { pan, expiry, holder } = result.card;
    const cardKey = this.options.cardKey;
    if (!cardKey) return this.#error("CARD_KEY_MISSING", "card payments are not set up on this register (no cardKey in the config)");
    const read: CardRead = {
      last4: pan.slice(-4),
      maskedPan: maskPan(pan),
      expiry,
      token: createHmac("sha256", cardKey).update(pan, "ascii").digest("hex"),
      ...(this.options.greetByName === true && holder !== undefined ? { cardholderName: greetingName(holder) } : {}),
    };
    this.logger.info({ card: read.maskedPan }, "card read");
    this.emit("data", read);
  }

  #error(code: string, message: string): void {
    this.logger.warn({ code }, `card read failed: ${message}`);
    this.emit("error", { code, message });
  }
}
