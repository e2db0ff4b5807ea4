/**
 * Decoder for the CD5220 pole-display command set, written from the CD5220 command list. Pure.
 *   ESC @ init; 0C clear; 18 clear line; 0B home; 08/09/0A/0D cursor; ESC l x y cursor (1-based);
 *   ESC * n brightness (1-4); ESC t n code table; ESC DC1/DC2/DC3 overwrite / vertical / horizontal mode;
 *   ESC _ n cursor on/off; ESC Q A|B <text> CR line write; ESC Q D <text> CR marquee.
 * The line-write lock (some units ignore other commands after ESC Q A/B until 0C/18) is modelled by
 * the emulator, not here.
 */
import type { FramedDecoder } from "../framed-decoder.js";
import { CODE_TABLE_CD5220_DEFAULT, CODE_TABLE_KATAKANA } from "../code-tables.js";
import type { DisplayCommand } from "./display-commands.js";
import { command, createDisplayDecoder, needMore, textStep, unknown, type Step } from "./display-steps.js";
const LINE_WRITE_BYTES_MAX = 40;

export function parseCd5220Command(bytes: Buffer): Step {
  const text = textStep(bytes);
  if (text !== undefined) return text;
  const first = bytes[0]!;
  switch (first) {
    case 0x08: return command(1, { type: "backspace" });
    case 0x09: return command(1, { type: "tab" });
    case 0x0a: return command(1, { type: "lineFeed" });
    case 0x0b: return command(1, { type: "home" });
    case 0x0c: return command(1, { type: "clear" });
    case 0x0d: return command(1, { type: "carriageReturn" });
    case 0x18: return command(1, { type: "clearLine" });
    case 0x1b: return parseEscape(bytes);
    default: return unknown(bytes, 1);
  }
}

function parseEscape(bytes: Buffer): Step {
  if (bytes.length < 2) return needMore;
  const code = bytes[1]!;
  if (code === 0x40) return command(2, { type: "initialize" });
  if (code === 0x11) return command(2, { type: "writeMode", mode: "overwrite" });
  if (code === 0x12) return command(2, { type: "writeMode", mode: "vertical-scroll" });
  if (code === 0x13) return command(2, { type: "writeMode", mode: "horizontal-scroll" });
  if (code === 0x6c) return bytes.length < 4 ? needMore : command(4, { type: "cursorTo", col: bytes[2]!, row: bytes[3]! }); // ESC l x y
  if (code === 0x51) return parseLineWrite(bytes); // ESC Q
  if (bytes.length < 3) return [0x2a, 0x74, 0x5f].includes(code) ? needMore : unknown(bytes, 2);
  const parameter = bytes[2]!;
  if (code === 0x2a) return command(3, { type: "brightness", level: parameter }); // ESC * n
  if (code === 0x74) return command(3, { type: "codeTable", table: parameter === 1 ? CODE_TABLE_KATAKANA : CODE_TABLE_CD5220_DEFAULT }); // ESC t n
  if (code === 0x5f) return command(3, { type: "cursorVisible", visible: parameter === 1 }); // ESC _ n
  return unknown(bytes, 2);
}

/** ESC Q A|B|D <up to 40 bytes> CR. */
function parseLineWrite(bytes: Buffer): Step {
  if (bytes.length < 3) return needMore;
  const which = bytes[2]!;
  if (which !== 0x41 && which !== 0x42 && which !== 0x44) return unknown(bytes, 3);
  const end = bytes.indexOf(0x0d, 3);
  if (end < 0) return bytes.length > 3 + LINE_WRITE_BYTES_MAX ? unknown(bytes, 3) : needMore;
  const text = Buffer.from(bytes.subarray(3, end));
  if (which === 0x44) return command(end + 1, { type: "ignored", name: "ESC Q D marquee" });
  return command(end + 1, { type: "lineWrite", row: which === 0x41 ? 1 : 2, bytes: text });
}

export function createCd5220Decoder(): FramedDecoder<DisplayCommand> {
  return createDisplayDecoder(parseCd5220Command);
}
