/** A serial magnetic stripe reader: a swipe sends ISO 7813 track lines to the host. */
import { EventEmitter } from "node:events";
import { encodeBadSwipe, encodeSwipe, maskPan, type SwipeFraming } from "../protocols/magstripe/magstripe-tracks.js";
import { TEST_CARDS, type SwipeCardName } from "../protocols/magstripe/test-cards.js";
import type { DeviceEmulator } from "./device-emulator.js";

/** What a swipe reports: never the full PAN. */
export interface SwipeSummary {
  readonly card: SwipeCardName;
  readonly maskedPan: string | undefined;
  readonly bytes: number;
}

interface CardReaderEvents {
  swipe: [SwipeSummary];
  transmit: [Buffer];
}

export class CardReaderEmulator extends EventEmitter<CardReaderEvents> implements DeviceEmulator {
  readonly key = "cardReader" as const;
  private hostBytesIgnored = 0;
  private swipes = 0;
  private rawBytesSent = 0;

  /** Readers in keyboard-wedge/serial mode take no commands: bytes from the host are counted and dropped. */
  receive(bytes: Buffer): void {
    this.hostBytesIgnored += bytes.length;
  }

  onTransmit(listener: (bytes: Buffer) => void): () => void {
    this.on("transmit", listener);
    return () => this.off("transmit", listener);
  }

  /** How this reader frames its swipes (its factory setting); a swipe may name another. */
  framing: SwipeFraming = "crlf";

  swipe(card: SwipeCardName = "visa", framing: SwipeFraming = this.framing): SwipeSummary {
    const bytes = card === "bad" ? encodeBadSwipe(framing) : encodeSwipe(TEST_CARDS[card], framing);
    const summary: SwipeSummary = {
      card,
      maskedPan: card === "bad" ? undefined : maskPan(TEST_CARDS[card].pan),
      bytes: bytes.length,
    };
    this.swipes += 1;
    this.emit("transmit", bytes);
    this.emit("swipe", summary);
    return summary;
  }

  /** Raw bytes on the line: noise, half a swipe, a reader in another framing mode. Counted, never decoded. */
  sendRaw(bytes: Buffer): void {
    this.rawBytesSent += bytes.length;
    this.emit("transmit", Buffer.from(bytes));
  }

  snapshot(): { readonly swipes: number; readonly hostBytesIgnored: number; readonly rawBytesSent: number } {
    return { swipes: this.swipes, hostBytesIgnored: this.hostBytesIgnored, rawBytesSent: this.rawBytesSent };
  }
}
