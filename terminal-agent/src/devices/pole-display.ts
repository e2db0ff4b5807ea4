/**
 * Epson ESC/POS display-mode driver for a 2x20 pole display. Keeps a framebuffer of what the device
 * shows and sends only the cells that changed (lcdproc's serialPOS and uniCenta do the same), so the
 * countdown costs one cursor move and a few characters per second at 9600 baud.
 */
import type { Logger } from "pino";
import type { ScreenLines } from "../core/screens.js";
import { blankFrame, encodeUpdate, initialize, normalizeFrame } from "../protocols/pole-display/epson.js";
import type { Frame } from "../protocols/pole-display/epson.js";
import type { PoleDisplay } from "./device.js";
import { PosDevice } from "./pos-device.js";
import type { Transport } from "./transport.js";

export class EpsonPoleDisplay extends PosDevice<never> implements PoleDisplay {
  /** What the device shows; undefined when unknown (never opened, reconnected, or a write failed): re-initialize. */
  #shown: Frame | undefined;
  #wanted: Frame = blankFrame();
  #flushing = false;
  #flushAgain = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(transport: Transport, logger: Logger) {
    super("display", transport, logger);
  }

  protected resetInput(): void {
    // A display sends nothing; a reopened one may have been power-cycled, so its screen is unknown.
    this.#shown = undefined;
  }

  protected receive(): void {}

  protected onReady(): void {
    this.#shown = undefined;
    this.#flush();
  }

  show(lines: ScreenLines): void {
    this.#wanted = normalizeFrame(lines);
    this.#flush();
  }

  /** Resolves when every show() so far has been written (or failed); for tests and orderly stop. */
  override whenIdle(): Promise<void> {
    return this.#idle;
  }

  #flush(): void {
    if (this.#flushing) {
      this.#flushAgain = true; // coalesce: only the latest frame matters
      return;
    }
    this.#flushing = true;
    this.setState("busy");
    this.#idle = this.#drain().finally(() => {
      this.#flushing = false;
      if (this.state === "busy") this.setState("idle");
    });
  }

  async #drain(): Promise<void> {
    do {
      this.#flushAgain = false;
      if (this.transport.status !== "online" || !this.enabled) return;
      const target = this.#wanted;
      const bytes =
        this.#shown === undefined ? Buffer.concat([initialize(), encodeUpdate(blankFrame(), target)]) : encodeUpdate(this.#shown, target);
      if (bytes.length === 0) continue;
      try {
        await this.transport.write(bytes);
        this.#shown = target;
        this.emit("outputComplete", { outputId: "screen" });
      } catch (error) {
        this.#shown = undefined;
        this.logger.warn({ err: (error as Error).message }, "display write failed");
        return;
      }
    } while (this.#flushAgain);
  }
}
