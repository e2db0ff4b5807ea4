/**
 * Decoder for the Logic Controls pole-display command set (PD/LD series), written from its command
 * list. Pure. 1F reset; 10 n cursor to linear position n (0-based: row * 20 + column); 04 n
 * brightness (20/40/60/FF); 11 overwrite mode, 12 vertical scroll; 13 cursor on, 14 cursor off;
 * 08 BS, 0A LF, 0D CR, 0C clear. One code table: euro at 0x80, Katakana at 0xA1-0xDF.
 */
import type { FramedDecoder } from "../framed-decoder.js";
import type { DisplayCommand } from "./display-commands.js";
import { DISPLAY_COLUMNS } from "./display-screen.js";
import { command, createDisplayDecoder, needMore, textStep, type Step } from "./display-steps.js";

const BRIGHTNESS_LEVELS: Readonly<Record<number, number>> = { 0x20: 1, 0x40: 2, 0x60: 3, 0xff: 4 };

export function parseLogicControlsCommand(bytes: Buffer): Step {
  const text = textStep(bytes);
  if (text !== undefined) return text;
  const first = bytes[0]!;
  switch (first) {
    case 0x1f: return command(1, { type: "initialize" });
    case 0x08: return command(1, { type: "backspace" });
    case 0x0a: return command(1, { type: "lineFeed" });
    case 0x0c: return command(1, { type: "clear" });
    case 0x0d: return command(1, { type: "carriageReturn" });
    case 0x11: return command(1, { type: "writeMode", mode: "overwrite" });
    case 0x12: return command(1, { type: "writeMode", mode: "vertical-scroll" });
    case 0x13: return command(1, { type: "cursorVisible", visible: true });
    case 0x14: return command(1, { type: "cursorVisible", visible: false });
    case 0x10: {
      if (bytes.length < 2) return needMore;
      const position = bytes[1]!;
      return command(2, { type: "cursorTo", col: (position % DISPLAY_COLUMNS) + 1, row: Math.floor(position / DISPLAY_COLUMNS) + 1 });
    }
    case 0x04: {
      if (bytes.length < 2) return needMore;
      return command(2, { type: "brightness", level: BRIGHTNESS_LEVELS[bytes[1]!] ?? 0 });
    }
    default: return command(1, { type: "unknown", bytes: Buffer.from(bytes.subarray(0, 1)) });
  }
}

export function createLogicControlsDecoder(): FramedDecoder<DisplayCommand> {
  return createDisplayDecoder(parseLogicControlsCommand);
}
