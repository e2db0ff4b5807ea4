/**
 * Decoder for the Epson ESC/POS customer-display command set (DM-D series, "display mode"),
 * written from the DM-D command reference. Pure: bytes in, DisplayCommand values out.
 */
import type { FramedDecoder } from "../framed-decoder.js";
import type { DisplayCommand } from "./display-commands.js";
import { command, createDisplayDecoder, needMore, textStep, unknown, type Step } from "./display-steps.js";

const ESC = 0x1b;
const US = 0x1f;


/** Parses one command from the front of `bytes` (never empty). */
export function parseDisplayCommand(bytes: Buffer): Step {
  const text = textStep(bytes);
  if (text !== undefined) return text;
  const first = bytes[0]!;
  switch (first) {
    case 0x08: return command(1, { type: "backspace" }); // BS
    case 0x09: return command(1, { type: "tab" }); // HT
    case 0x0a: return command(1, { type: "lineFeed" }); // LF
    case 0x0b: return command(1, { type: "home" }); // HOM
    case 0x0c: return command(1, { type: "clear" }); // CLR
    case 0x0d: return command(1, { type: "carriageReturn" }); // CR
    case 0x18: return command(1, { type: "clearLine" }); // CAN
    case ESC: return parseEscape(bytes);
    case US: return parseUnitSeparator(bytes);
    default: return unknown(bytes, 1);
  }
}

function parseEscape(bytes: Buffer): Step {
  if (bytes.length < 2) return needMore;
  const code = bytes[1]!;
  if (code === 0x40) return command(2, { type: "initialize" }); // ESC @
  const oneParameter: Record<number, string> = { 0x52: "ESC R", 0x3d: "ESC =", 0x25: "ESC %", 0x3f: "ESC ?" };
  if (code === 0x74 || oneParameter[code] !== undefined) {
    if (bytes.length < 3) return needMore;
    if (code === 0x74) return command(3, { type: "codeTable", table: bytes[2]! }); // ESC t n
    return command(3, { type: "ignored", name: oneParameter[code]! }); // international set, peripheral select, user chars
  }
  return unknown(bytes, 2);
}

function parseUnitSeparator(bytes: Buffer): Step {
  if (bytes.length < 2) return needMore;
  const code = bytes[1]!;
  switch (code) {
    case 0x01: return command(2, { type: "writeMode", mode: "overwrite" }); // US MD1
    case 0x02: return command(2, { type: "writeMode", mode: "vertical-scroll" }); // US MD2
    case 0x03: return command(2, { type: "writeMode", mode: "horizontal-scroll" }); // US MD3
    case 0x0a: return command(2, { type: "cursorUp" }); // US LF
    case 0x0d: return command(2, { type: "cursorRightEnd" }); // US CR
    case 0x42: return command(2, { type: "cursorBottom" }); // US B
    case 0x40: return command(2, { type: "ignored", name: "US @ self-test" });
    case 0x55: return command(2, { type: "ignored", name: "US U show time" });
    case 0x3a: return command(2, { type: "ignored", name: "US : macro definition" });
    case 0x24: // US $ x y: move cursor to column x, row y (1-based)
      if (bytes.length < 4) return needMore;
      return command(4, { type: "cursorTo", col: bytes[2]!, row: bytes[3]! });
    case 0x43: case 0x58: case 0x45: case 0x72:
      if (bytes.length < 3) return needMore;
      return parseUnitSeparatorWithParameter(code, bytes[2]!);
    case 0x23: case 0x54: case 0x5e: // US # n m, US T h m, US ^ n m
      if (bytes.length < 4) return needMore;
      return command(4, { type: "ignored", name: `US ${String.fromCharCode(code)}` });
    case 0x28: return parseLengthPrefixed(bytes); // US ( fn pL pH ...
    default: return unknown(bytes, 2);
  }
}

function parseUnitSeparatorWithParameter(code: number, parameter: number): Step {
  switch (code) {
    case 0x43: return command(3, { type: "cursorVisible", visible: (parameter & 1) === 1 }); // US C n
    case 0x58: return command(3, { type: "brightness", level: parameter }); // US X n
    case 0x45: return command(3, { type: "blink", interval: parameter }); // US E n
    default: return command(3, { type: "ignored", name: "US r reverse" }); // US r n
  }
}

/** US ( fn pL pH d1...dk: k = pL + pH * 256. */
function parseLengthPrefixed(bytes: Buffer): Step {
  if (bytes.length < 5) return needMore;
  const payloadBytes = bytes[3]! + bytes[4]! * 256;
  return { kind: "command", length: 5, command: { type: "ignored", name: "US (" }, skipAfter: payloadBytes };
}

export function createEpsonDisplayDecoder(): FramedDecoder<DisplayCommand> {
  return createDisplayDecoder(parseDisplayCommand);
}
