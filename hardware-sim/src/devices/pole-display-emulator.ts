/** A 2x20 Epson-mode customer display: decodes what the host sends and keeps the screen. */
import { EventEmitter } from "node:events";
import { createEpsonDisplayDecoder } from "../protocols/pole-display/epson-display-decoder.js";
import { applyDisplayCommand, initialScreen, DISPLAY_COLUMNS, type DisplayScreen } from "../protocols/pole-display/display-screen.js";
import type { DeviceEmulator } from "./device-emulator.js";

/** What GET /api/display returns. */
export interface DisplaySnapshot {
  readonly lines: readonly [string, string];
  readonly brightness: number;
  readonly cursor: { readonly row: number; readonly col: number };
  readonly cursorVisible: boolean;
  readonly blinkInterval: number;
  readonly writeMode: DisplayScreen["writeMode"];
  readonly unknownCommands: number;
}

interface PoleDisplayEvents {
  changed: [DisplaySnapshot];
  transmit: [Buffer];
}

export class PoleDisplayEmulator extends EventEmitter<PoleDisplayEvents> implements DeviceEmulator {
  readonly key = "display" as const;
  private readonly decoder = createEpsonDisplayDecoder();
  private screen: DisplayScreen = initialScreen();

  receive(bytes: Buffer): void {
    const before = this.screen;
    for (const command of this.decoder.push(bytes)) this.screen = applyDisplayCommand(this.screen, command);
    if (this.screen !== before) this.emit("changed", this.snapshot());
  }

  onTransmit(listener: (bytes: Buffer) => void): () => void {
    this.on("transmit", listener);
    return () => this.off("transmit", listener);
  }

  snapshot(): DisplaySnapshot {
    const screen = this.screen;
    return {
      lines: [screen.rows[0]!, screen.rows[1]!],
      brightness: screen.brightness,
      cursor: { row: screen.cursor.row, col: Math.min(screen.cursor.col, DISPLAY_COLUMNS) },
      cursorVisible: screen.cursorVisible,
      blinkInterval: screen.blinkInterval,
      writeMode: screen.writeMode,
      unknownCommands: screen.unknownCommands,
    };
  }
}
