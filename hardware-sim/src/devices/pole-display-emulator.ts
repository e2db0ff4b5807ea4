/**
 * A 2x20 customer display of one model (Epson display mode, CD5220 or Logic Controls): decodes what
 * the host sends with that model's decoder and keeps the screen. CD5220 quirk: after a line write
 * (ESC Q A/B) the unit is in string mode: it takes further ESC Q A / ESC Q B line writes, as often
 * as the host sends them (CD5220 command list: "string display mode"), and ignores every other command
 * but CLR (0C) and CAN (18), which end string mode (the ignored ones are counted in ignoredWhileLocked).
 */
import { EventEmitter } from "node:events";
import { CODE_TABLE_CD5220_DEFAULT, CODE_TABLE_LOGIC_CONTROLS } from "../protocols/code-tables.js";
import type { FramedDecoder } from "../protocols/framed-decoder.js";
import { createCd5220Decoder } from "../protocols/pole-display/cd5220-decoder.js";
import type { DisplayCommand } from "../protocols/pole-display/display-commands.js";
import { createEpsonDisplayDecoder } from "../protocols/pole-display/epson-display-decoder.js";
import { createLogicControlsDecoder } from "../protocols/pole-display/logic-controls-decoder.js";
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
  readonly model: DisplayModel;
  /** CD5220: a line write locked the unit. */
  readonly lineWriteLocked: boolean;
  readonly ignoredWhileLocked: number;
}

export const DISPLAY_MODELS = ["epson", "cd5220", "logic-controls"] as const;
export type DisplayModel = (typeof DISPLAY_MODELS)[number];

const MODELS: Readonly<Record<DisplayModel, { decoder: () => FramedDecoder<DisplayCommand>; defaultTable: number | undefined }>> = {
  epson: { decoder: createEpsonDisplayDecoder, defaultTable: undefined },
  cd5220: { decoder: createCd5220Decoder, defaultTable: CODE_TABLE_CD5220_DEFAULT },
  "logic-controls": { decoder: createLogicControlsDecoder, defaultTable: CODE_TABLE_LOGIC_CONTROLS },
};

interface PoleDisplayEvents {
  changed: [DisplaySnapshot];
  transmit: [Buffer];
}

export class PoleDisplayEmulator extends EventEmitter<PoleDisplayEvents> implements DeviceEmulator {
  readonly key = "display" as const;
  private readonly decoder: FramedDecoder<DisplayCommand>;
  private screen: DisplayScreen;
  private lineWriteLocked = false;
  private ignoredWhileLocked = 0;

  constructor(readonly model: DisplayModel = "epson") {
    super();
    this.decoder = MODELS[model].decoder();
    this.screen = this.withDefaultTable(initialScreen());
  }

  receive(bytes: Buffer): void {
    const before = this.screen;
    for (const command of this.decoder.push(bytes)) this.apply(command);
    if (this.screen !== before) this.emit("changed", this.snapshot());
  }

  private apply(command: DisplayCommand): void {
    if (this.lineWriteLocked) {
      if (command.type !== "clear" && command.type !== "clearLine" && command.type !== "lineWrite") {
        this.ignoredWhileLocked += 1;
        return;
      }
      if (command.type !== "lineWrite") this.lineWriteLocked = false;
    }
    this.screen = applyDisplayCommand(this.screen, command);
    if (command.type === "initialize") this.screen = this.withDefaultTable(this.screen);
    if (command.type === "lineWrite" && this.model === "cd5220") this.lineWriteLocked = true;
  }

  private withDefaultTable(screen: DisplayScreen): DisplayScreen {
    const table = MODELS[this.model].defaultTable;
    return table === undefined ? screen : { ...screen, codeTable: table };
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
      model: this.model,
      lineWriteLocked: this.lineWriteLocked,
      ignoredWhileLocked: this.ignoredWhileLocked,
    };
  }
}
