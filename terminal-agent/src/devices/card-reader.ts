/**
 * Serial magnetic-stripe reader (UnifiedPOS MSR). Assembles each swipe (STX/ETX, prefix/suffix,
 * CR/LF between tracks, an inter-byte timeout), checks it (swipe.ts) and emits:
 *   data  { last4, maskedPan, expiry, token }: token = HMAC-SHA256(cardKey, PAN) in hex
 *   error { code, message }: a bad read, bad track, Luhn, tracks that disagree, noise, no card key
 * PCI DSS: the PAN and track data never leave this file: not in events, logs or errors, and the
 * bytes are dropped (and the assembly buffer overwritten) as soon as the swipe is checked.
 */
import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import { cardSwipeInterByteTimeoutMs } from "../core/limits.js";
import { checkSwipe, emptyAssembly, endSwipe, maskPan, pushSwipeBytes } from "../protocols/magstripe/swipe.js";
import type { AssemblyOutput, SwipeAssembly, SwipeFraming } from "../protocols/magstripe/swipe.js";
import type { CardRead } from "./device.js";
import { PosDevice } from "./pos-device.js";
import type { Transport } from "./transport.js";

export interface CardReaderOptions {
  readonly framing?: SwipeFraming | undefined;
  readonly interByteTimeoutMs?: number | undefined;
  /** The deployment's card key (bytes); without it every good swipe is refused with CARD_KEY_MISSING. */
  readonly cardKey?: Buffer | undefined;
}

export class SerialCardReader extends PosDevice<CardRead> {
  #assembly: SwipeAssembly = emptyAssembly;
  #quietTimer: NodeJS.Timeout | undefined;

  constructor(
    transport: Transport,
    logger: Logger,
    private readonly options: CardReaderOptions = {},
  ) {
    super("cardReader", transport, logger);
  }

  protected onReady(): void {}

  /** A fresh assembly per connection: half a swipe from before an unplug is garbage. */
  protected resetInput(): void {
    clearTimeout(this.#quietTimer);
    this.#assembly = emptyAssembly;
  }

  override async release(): Promise<void> {
    this.resetInput();
    await super.release();
  }

  protected receive(bytes: Buffer): void {
    const pushed = pushSwipeBytes(this.#assembly, bytes);
    this.#assembly = pushed.state;
    for (const output of pushed.outputs) this.#swipe(output);
    clearTimeout(this.#quietTimer);
    if (this.#assembly.bytes.length > 0 || this.#assembly.overflowed) {
      this.#quietTimer = setTimeout(() => this.#quiet(), this.options.interByteTimeoutMs ?? cardSwipeInterByteTimeoutMs);
      this.#quietTimer.unref();
    }
  }

  #quiet(): void {
    const outputs = endSwipe(this.#assembly);
    this.#assembly = emptyAssembly;
    for (const output of outputs) this.#swipe(output);
  }

  #swipe(output: AssemblyOutput): void {
    if (output.kind === "tooLong") return this.#error("CARD_SWIPE_TOO_LONG", "more bytes than any swipe has (noise on the line); dropped");
    const result = checkSwipe(output.text, this.options.framing);
    if (!result.ok) return this.#error(result.code, result.message);
    const { pan, expiry } = result.card;
    const cardKey = this.options.cardKey;
    if (!cardKey) return this.#error("CARD_KEY_MISSING", "card payments are not set up on this register (no cardKey in the config)");
    const read: CardRead = { last4: pan.slice(-4), maskedPan: maskPan(pan), expiry, token: createHmac("sha256", cardKey).update(pan, "ascii").digest("hex") };
    this.logger.info({ card: read.maskedPan }, "card read");
    this.emit("data", read);
  }

  #error(code: string, message: string): void {
    this.logger.warn({ code }, `card read failed: ${message}`);
    this.emit("error", { code, message });
  }
}
