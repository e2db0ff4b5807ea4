/** ESC-prefixed printer commands (1B xx ...), written from the Epson ESC/POS command reference. */
import { nulTerminatedParameterBytesMax } from "../../limits.js";
import { command, ignored, indexOfNul, lengthPrefixed, needMore, unknown, type Step } from "./escpos-parse-helpers.js";

const ESC = 0x1b;

/** ESC commands with exactly one parameter byte that do not change the receipt model. */
const ESC_ONE_PARAMETER: Readonly<Record<number, string>> = {
  0x20: "ESC SP right-side spacing", 0x25: "ESC % user-defined set", 0x33: "ESC 3 line spacing",
  0x3d: "ESC = peripheral select", 0x3f: "ESC ? cancel user-defined char", 0x47: "ESC G double-strike",
  0x4a: "ESC J feed dots", 0x4b: "ESC K reverse feed dots", 0x4d: "ESC M font", 0x52: "ESC R international set",
  0x54: "ESC T page direction", 0x55: "ESC U unidirectional", 0x56: "ESC V rotate 90", 0x63: "ESC c panel",
  0x65: "ESC e reverse feed lines", 0x72: "ESC r color", 0x7b: "ESC { upside down",
};
/** ESC commands without parameters that do not change the receipt model. */
const ESC_NO_PARAMETER: Readonly<Record<number, string>> = {
  0x32: "ESC 2 default line spacing", 0x3c: "ESC < return home", 0x4c: "ESC L page mode", 0x53: "ESC S standard mode",
  0x0c: "ESC FF print page",
};

export function parseEscCommand(bytes: Buffer): Step {
  if (bytes.length < 2) return needMore;
  const code = bytes[1]!;
  if (code === 0x40) return command(2, { type: "initialize" }); // ESC @
  if (code === 0x69 || code === 0x6d) return command(2, { type: "cut", partial: true }); // ESC i / ESC m (obsolete cuts)
  const noParameter = ESC_NO_PARAMETER[code];
  if (noParameter !== undefined) return ignored(2, noParameter);
  if (code === 0x70) return parseDrawerKick(bytes); // ESC p m t1 t2
  if (code === 0x42) return bytes.length < 4 ? needMore : ignored(4, "ESC B beep"); // ESC B n t
  if (code === 0x24 || code === 0x5c) return bytes.length < 4 ? needMore : ignored(4, "ESC $/\\ position");
  if (code === 0x63) return bytes.length < 4 ? needMore : ignored(4, "ESC c panel/sensor"); // ESC c 3|4|5 n
  if (code === 0x2a) return parseBitImage(bytes); // ESC * m nL nH d...
  if (code === 0x44) return parseTabPositions(bytes); // ESC D n1..nk NUL
  if (code === 0x26) return parseUserDefinedCharacters(bytes); // ESC & y c1 c2 [x d...]
  if (code === 0x28) return lengthPrefixed(bytes, "ESC ( function"); // ESC ( A / ESC ( Y ...
  if (code === 0x57) return bytes.length < 10 ? needMore : ignored(10, "ESC W print area"); // ESC W xL xH yL yH dxL dxH dyL dyH
  if (bytes.length < 3) return ESC_ONE_PARAMETER[code] !== undefined || isModelCommand(code) ? needMore : unknown(bytes, 2);
  return parseEscWithParameter(bytes, code, bytes[2]!);
}

function isModelCommand(code: number): boolean {
  return [0x61, 0x45, 0x21, 0x2d, 0x74, 0x64].includes(code);
}

function parseEscWithParameter(bytes: Buffer, code: number, parameter: number): Step {
  switch (code) {
    case 0x61: return command(3, { type: "align", align: parameter % 48 === 1 ? "center" : parameter % 48 === 2 ? "right" : "left" }); // ESC a n
    case 0x45: return command(3, { type: "bold", on: (parameter & 1) === 1 }); // ESC E n
    case 0x21: return command(3, { type: "printMode", mode: parameter }); // ESC ! n
    case 0x2d: return command(3, { type: "underline", thickness: parameter % 48 }); // ESC - n
    case 0x74: return command(3, { type: "codeTable", table: parameter }); // ESC t n
    case 0x64: return command(3, { type: "feedLines", lines: parameter }); // ESC d n
    default: {
      const name = ESC_ONE_PARAMETER[code];
      return name === undefined ? unknown(bytes, 2) : ignored(3, name);
    }
  }
}

/**
 * ESC p m t1 t2: pulse pin 2 (m = 0/48) or pin 5 (m = 1/49) for t1*2 ms on, t2*2 ms off.
 * Flagged as malformed when a parameter byte is the start of another command, the shape of
 * node-thermal-printer's `1b 70 00 1b 70 01`; the ESC is then parsed again as a command.
 */
function parseDrawerKick(bytes: Buffer): Step {
  if (bytes.length < 3) return needMore;
  const mode = bytes[2]!;
  if (![0, 1, 48, 49].includes(mode)) {
    return command(2, { type: "drawerKickMalformed", bytes: Buffer.from(bytes.subarray(0, 3)) });
  }
  for (let index = 3; index < 5; index += 1) {
    if (index >= bytes.length) return needMore;
    if (bytes[index] === ESC) {
      return command(index, { type: "drawerKickMalformed", bytes: Buffer.from(bytes.subarray(0, index)) });
    }
  }
  const pin = mode % 48 === 0 ? 2 : 5;
  return command(5, { type: "drawerKick", pin, onTimeMs: bytes[3]! * 2, offTimeMs: bytes[4]! * 2 });
}

/** ESC * m nL nH d1...dk: k = (nL + nH*256) columns, 3 bytes each in 24-dot modes (m = 32, 33). */
function parseBitImage(bytes: Buffer): Step {
  if (bytes.length < 5) return needMore;
  const columns = bytes[3]! + bytes[4]! * 256;
  const bytesPerColumn = bytes[2]! >= 32 ? 3 : 1;
  return ignored(5, "ESC * bit image", columns * bytesPerColumn);
}

/** ESC D n1...nk NUL: up to 32 tab positions. */
function parseTabPositions(bytes: Buffer): Step {
  const nul = indexOfNul(bytes, 2, 33);
  if (nul >= 0) return ignored(nul + 1, "ESC D tab positions");
  return bytes.length >= 2 + 33 ? ignored(2 + 32, "ESC D tab positions (unterminated)") : needMore;
}

/** ESC & y c1 c2 [x1 d1...d(y*x1)]...: one block per character code c1..c2. */
function parseUserDefinedCharacters(bytes: Buffer): Step {
  if (bytes.length < 5) return needMore;
  const height = bytes[2]!;
  const characters = bytes[4]! - bytes[3]! + 1;
  if (characters <= 0 || characters > 95) return unknown(bytes, 2);
  let offset = 5;
  for (let index = 0; index < characters; index += 1) {
    if (offset >= bytes.length) return offset > nulTerminatedParameterBytesMax * 64 ? unknown(bytes, 2) : needMore;
    offset += 1 + height * bytes[offset]!;
  }
  return offset <= bytes.length ? ignored(offset, "ESC & user-defined characters") : needMore;
}
