/** GS-prefixed printer commands (1D xx ...), written from the Epson ESC/POS command reference. */
import { nulTerminatedParameterBytesMax } from "../../limits.js";
import { command, ignored, indexOfNul, lengthPrefixed, needMore, unknown, type Step } from "./escpos-parse-helpers.js";

/** GS commands with one parameter byte that do not change the receipt model. */
const GS_ONE_PARAMETER: Readonly<Record<number, string>> = {
  0x42: "GS B reverse", 0x48: "GS H HRI position", 0x66: "GS f HRI font", 0x68: "GS h barcode height",
  0x77: "GS w barcode width", 0x62: "GS b smoothing", 0x49: "GS I printer id", 0x2f: "GS / print image",
  0x45: "GS E print density",
};
/** GS commands with two parameter bytes. */
const GS_TWO_PARAMETERS: Readonly<Record<number, string>> = {
  0x4c: "GS L left margin", 0x57: "GS W print width", 0x50: "GS P motion units", 0x24: "GS $ vertical position",
  0x5c: "GS \\ relative vertical position",
};

export function parseGsCommand(bytes: Buffer): Step {
  if (bytes.length < 2) return needMore;
  const code = bytes[1]!;
  switch (code) {
    case 0x56: return parseCut(bytes); // GS V
    case 0x28: return bytes.length >= 3 && bytes[2] === 0x6b ? parseTwoDimensionalCode(bytes) : lengthPrefixed(bytes, "GS ( function");
    case 0x6b: return parseBarcode(bytes); // GS k
    case 0x76: return parseRasterImage(bytes); // GS v 0
    case 0x38: return parseLargeGraphics(bytes); // GS 8 L
    case 0x2a: return bytes.length < 4 ? needMore : ignored(4, "GS * downloaded image", bytes[2]! * bytes[3]! * 8);
    case 0x3a: return ignored(2, "GS : macro definition");
    case 0x5e: return bytes.length < 5 ? needMore : ignored(5, "GS ^ execute macro");
    default: return parseGsWithParameters(bytes, code);
  }
}

function parseGsWithParameters(bytes: Buffer, code: number): Step {
  const twoParameterName = GS_TWO_PARAMETERS[code];
  if (twoParameterName !== undefined) return bytes.length < 4 ? needMore : ignored(4, twoParameterName);
  const isOneParameter = code === 0x21 || code === 0x61 || code === 0x72 || GS_ONE_PARAMETER[code] !== undefined;
  if (!isOneParameter) return unknown(bytes, 2);
  if (bytes.length < 3) return needMore;
  const parameter = bytes[2]!;
  switch (code) {
    case 0x21: return command(3, { type: "characterSize", width: (parameter >> 4) + 1, height: (parameter & 0x0f) + 1 }); // GS ! n
    case 0x61: return command(3, { type: "automaticStatusBack", enableMask: parameter }); // GS a n
    case 0x72: return command(3, { type: "transmitStatus", statusType: parameter % 48 }); // GS r n
    default: return ignored(3, GS_ONE_PARAMETER[code]!);
  }
}

/** GS V m (A: m = 0, 1, 48, 49) or GS V m n (B: 65, 66; C: 97, 98; D: 103, 104). Odd m = partial cut. */
function parseCut(bytes: Buffer): Step {
  if (bytes.length < 3) return needMore;
  const mode = bytes[2]!;
  if ([0, 1, 48, 49].includes(mode)) return command(3, { type: "cut", partial: mode % 2 === 1 });
  if ([65, 66, 97, 98, 103, 104].includes(mode)) {
    return bytes.length < 4 ? needMore : command(4, { type: "cut", partial: mode % 2 === 0 });
  }
  return unknown(bytes, 3);
}

/**
 * GS ( k pL pH cn fn [parameters]: two-dimensional codes. cn 49 is QR Code.
 * fn 80 stores data (pL pH 31 50 30 d1...dk, k = pL + pH*256 - 3); fn 81 prints the stored symbol.
 */
function parseTwoDimensionalCode(bytes: Buffer): Step {
  if (bytes.length < 7) return needMore;
  const parameterBytes = bytes[3]! + bytes[4]! * 256;
  const symbol = bytes[5]!;
  const fn = bytes[6]!;
  const total = 5 + parameterBytes;
  if (symbol !== 0x31 || (fn !== 0x50 && fn !== 0x51)) return ignored(5, `GS ( k cn ${symbol} fn ${fn}`, parameterBytes);
  if (fn === 0x51) return command(5, { type: "qrPrint" }, parameterBytes); // GS ( k fn 81: print the stored symbol
  // GS ( k fn 80: store QR data. The payload must arrive whole to be reported.
  if (parameterBytes < 3) return unknown(bytes, 5);
  if (bytes.length < total) return needMore;
  return command(total, { type: "qrStore", data: Buffer.from(bytes.subarray(8, total)) });
}

/** GS k m d1...dk NUL (m 0-6) or GS k m n d1...dn (m 65-79). */
function parseBarcode(bytes: Buffer): Step {
  if (bytes.length < 3) return needMore;
  const system = bytes[2]!;
  if (system <= 6) {
    const nul = indexOfNul(bytes, 3, nulTerminatedParameterBytesMax);
    if (nul >= 0) return ignored(nul + 1, "GS k barcode");
    return bytes.length >= 3 + nulTerminatedParameterBytesMax ? unknown(bytes, 3) : needMore;
  }
  if (bytes.length < 4) return needMore;
  return ignored(4, "GS k barcode", bytes[3]!);
}

/** GS v 0 m xL xH yL yH d1...dk: k = (xL + xH*256) * (yL + yH*256). */
function parseRasterImage(bytes: Buffer): Step {
  if (bytes.length < 8) return needMore;
  const widthBytes = bytes[4]! + bytes[5]! * 256;
  const heightDots = bytes[6]! + bytes[7]! * 256;
  return ignored(8, "GS v 0 raster image", widthBytes * heightDots);
}

/** GS 8 L p1 p2 p3 p4 m fn ...: a 32-bit parameter length. */
function parseLargeGraphics(bytes: Buffer): Step {
  if (bytes.length < 7) return needMore;
  const parameterBytes = bytes[3]! + bytes[4]! * 0x100 + bytes[5]! * 0x10000 + bytes[6]! * 0x1000000;
  return ignored(7, "GS 8 L graphics", parameterBytes);
}
