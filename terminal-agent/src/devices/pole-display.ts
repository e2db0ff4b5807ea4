/**
 * Pole display driver for every supported command set (Epson display mode, CD5220, Logic Controls).
 * Keeps a framebuffer of what the device shows and sends only the cells that changed (lcdproc's
 * serialPOS and uniCenta do the same), so the countdown costs one cursor move and a few characters
 * per second at 9600 baud. Text is folded to half-width and mapped to the model's bytes.
 */
import type { Logger } from "pino";
import type { ScreenLines } from "../core/screens.js";
import { toHalfWidth } from "../protocols/pole-display/character-map.js";
import type { CharacterMap } from "../protocols/pole-display/character-map.js";
import { COMMAND_SETS } from "../protocols/pole-display/command-sets.js";
import type { Brightness, DisplayCharset, DisplayCommandSet, DisplayModel } from "../protocols/pole-display/command-sets.js";
import { DEFAULT_GEOMETRY, blankFrame, encodeFrameUpdate, normalizeFrame } from "../protocols/pole-display/framebuffer.js";
import type { DisplayGeometry, Frame } from "../protocols/pole-display/framebuffer.js";
import type { PoleDisplay } from "./device.js";
import { PosDevice } from "./pos-device.js";
import type { Transport } from "./transport.js";

export interface PoleDisplayOptions {
  readonly model?: DisplayModel | undefined;
  readonly brightness?: Brightness | undefined;
  readonly charset?: DisplayCharset | undefined;
  readonly geometry?: DisplayGeometry | undefined;
  /** The euro sign's byte when a unit's code page differs from the model's default. */
  readonly euroByte?: number | undefined;
}

export class SerialPoleDisplay extends PosDevice<never> implements PoleDisplay {
  readonly #commands: DisplayCommandSet;
  readonly #map: CharacterMap;
  readonly #geometry: DisplayGeometry;
  readonly #brightness: Brightness;
  readonly #charset: DisplayCharset;
  /** What the device shows; undefined when unknown (never opened, reconnected, or a write failed): re-initialize. */
  #shown: Frame | undefined;
  #wanted: Frame;
  #flushing = false;
  #flushAgain = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(transport: Transport, logger: Logger, options: PoleDisplayOptions = {}) {
    super("display", transport, logger);
    this.#commands = COMMAND_SETS[options.model ?? "epson"];
    this.#charset = options.charset ?? "ascii";
    this.#map = this.#commands.characterMap(this.#charset, options.euroByte);
    this.#geometry = options.geometry ?? DEFAULT_GEOMETRY;
    this.#brightness = options.brightness ?? 4;
    this.#wanted = blankFrame(this.#geometry);
  }

  get geometry(): DisplayGeometry {
    return this.#geometry;
  }

  /** Bytes that turn `shown` into `wanted` on this model (for the benchmark and tests). */
  encode(shown: Frame | undefined, wanted: Frame): Buffer {
    const target = normalizeFrame(wanted.map(toHalfWidth), this.#geometry);
    if (shown === undefined) return Buffer.concat([this.#commands.initialize(this.#brightness, this.#charset), encodeFrameUpdate(blankFrame(this.#geometry), target, this.#commands, this.#map, this.#geometry)]);
    return encodeFrameUpdate(shown, target, this.#commands, this.#map, this.#geometry);
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
    this.#wanted = normalizeFrame(lines.map(toHalfWidth), this.#geometry);
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
      const bytes = this.encode(this.#shown, target);
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

/** The Epson display-mode driver with defaults (2x20, brightness 4, ASCII + €). */
export class EpsonPoleDisplay extends SerialPoleDisplay {
  constructor(transport: Transport, logger: Logger, options: Omit<PoleDisplayOptions, "model"> = {}) {
    super(transport, logger, { ...options, model: "epson" });
  }
}
