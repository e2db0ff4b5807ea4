/**
 * A small QR Code encoder (ISO/IEC 18004) so the dashboard can draw the receipt's QR as a QR:
 * byte mode only, versions 1–4, error correction L or M, a chosen mask (any mask is valid; a
 * reader tries them all). Enough for a paymentId; longer payloads return undefined.
 * Layout and Reed–Solomon follow the standard as laid out in Project Nayuki's reference encoder.
 */

export type QrErrorCorrection = "L" | "M";

export interface QrOptions {
  readonly errorCorrection?: QrErrorCorrection;
  /** 0–7; the default is 0. */
  readonly mask?: number;
}

/** modules[row][column]: true is dark. Size 21, 25, 29 or 33. */
export type QrMatrix = readonly (readonly boolean[])[];

const VERSION_MAX = 4;
/** Total codewords of versions 1–4 (index = version). */
const TOTAL_CODEWORDS = [0, 26, 44, 70, 100];
/** Error-correction codewords per block and number of blocks, per level and version. */
const EC_PER_BLOCK: Record<QrErrorCorrection, readonly number[]> = { L: [0, 7, 10, 15, 20], M: [0, 10, 16, 26, 18] };
const BLOCKS: Record<QrErrorCorrection, readonly number[]> = { L: [0, 1, 1, 1, 1], M: [0, 1, 1, 1, 2] };
/** The two format-information bits of each level: L = 01, M = 00. */
const FORMAT_BITS: Record<QrErrorCorrection, number> = { L: 1, M: 0 };

export function dataCodewordsOf(version: number, level: QrErrorCorrection): number {
  return TOTAL_CODEWORDS[version]! - EC_PER_BLOCK[level][version]! * BLOCKS[level][version]!;
}

/** Encodes `text` (UTF-8 bytes) in the smallest version that holds it; undefined when none of 1–4 does. */
export function encodeQr(text: string, options: QrOptions = {}): QrMatrix | undefined {
  const level = options.errorCorrection ?? "M";
  const mask = options.mask ?? 0;
  if (!Number.isInteger(mask) || mask < 0 || mask > 7) throw new RangeError("mask is 0 to 7");
  const bytes = Buffer.from(text, "utf8");
  for (let version = 1; version <= VERSION_MAX; version += 1) {
    // Byte mode: 4-bit mode indicator + 8-bit count (versions 1–9) + the bytes.
    if (4 + 8 + bytes.length * 8 > dataCodewordsOf(version, level) * 8) continue;
    const codewords = addErrorCorrection(dataCodewords(bytes, version, level), version, level);
    return drawSymbol(codewords, version, level, mask);
  }
  return undefined;
}

function dataCodewords(bytes: Buffer, version: number, level: QrErrorCorrection): number[] {
  const capacityBits = dataCodewordsOf(version, level) * 8;
  const bits: number[] = [];
  const put = (value: number, length: number): void => {
    for (let index = length - 1; index >= 0; index -= 1) bits.push((value >>> index) & 1);
  };
  put(0b0100, 4); // byte mode
  put(bytes.length, 8);
  for (const byte of bytes) put(byte, 8);
  put(0, Math.min(4, capacityBits - bits.length)); // terminator
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < capacityBits; pad ^= 0xec ^ 0x11) put(pad, 8);
  const codewords: number[] = [];
  for (let index = 0; index < bits.length; index += 8) codewords.push(bits.slice(index, index + 8).reduce((byte, bit) => (byte << 1) | bit, 0));
  return codewords;
}

/** Splits data into blocks, appends each block's Reed–Solomon codewords, and interleaves them. */
function addErrorCorrection(data: readonly number[], version: number, level: QrErrorCorrection): number[] {
  const blockCount = BLOCKS[level][version]!;
  const ecLength = EC_PER_BLOCK[level][version]!;
  const blockLength = data.length / blockCount; // versions 1–4 have equal blocks
  const divisor = reedSolomonDivisor(ecLength);
  const blocks = Array.from({ length: blockCount }, (_, index) => data.slice(index * blockLength, (index + 1) * blockLength));
  const ecBlocks = blocks.map((block) => reedSolomonRemainder(block, divisor));
  const result: number[] = [];
  for (let index = 0; index < blockLength; index += 1) for (const block of blocks) result.push(block[index]!);
  for (let index = 0; index < ecLength; index += 1) for (const block of ecBlocks) result.push(block[index]!);
  return result;
}

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D). */
function gfMultiply(x: number, y: number): number {
  let product = 0;
  for (let bit = 7; bit >= 0; bit -= 1) {
    product = (product << 1) ^ ((product >>> 7) * 0x11d);
    product ^= ((y >>> bit) & 1) * x;
  }
  return product;
}

/** Coefficients of the generator polynomial (x - a^0)(x - a^1)...(x - a^(degree-1)), highest first, leading 1 dropped. */
export function reedSolomonDivisor(degree: number): number[] {
  const result = new Array<number>(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let step = 0; step < degree; step += 1) {
    for (let index = 0; index < degree; index += 1) {
      const product = gfMultiply(result[index]!, root);
      result[index] = index + 1 < degree ? product ^ result[index + 1]! : product;
    }
    root = gfMultiply(root, 0x02);
  }
  return result;
}

export function reedSolomonRemainder(data: readonly number[], divisor: readonly number[]): number[] {
  const result = new Array<number>(divisor.length).fill(0);
  for (const byte of data) {
    const factor = byte ^ result.shift()!;
    result.push(0);
    divisor.forEach((coefficient, index) => {
      result[index] = result[index]! ^ gfMultiply(coefficient, factor);
    });
  }
  return result;
}

function drawSymbol(codewords: readonly number[], version: number, level: QrErrorCorrection, mask: number): QrMatrix {
  const size = 17 + 4 * version;
  const modules = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const reserved = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const set = (x: number, y: number, dark: boolean): void => {
    modules[y]![x] = dark;
    reserved[y]![x] = true;
  };
  for (let index = 0; index < size; index += 1) {
    set(6, index, index % 2 === 0); // timing patterns
    set(index, 6, index % 2 === 0);
  }
  for (const [x, y] of [[3, 3], [size - 4, 3], [3, size - 4]] as const) {
    // Finder pattern with its light separator: a 9x9 area, clipped at the edges.
    for (let dy = -4; dy <= 4; dy += 1) {
      for (let dx = -4; dx <= 4; dx += 1) {
        const distance = Math.max(Math.abs(dx), Math.abs(dy));
        if (x + dx >= 0 && x + dx < size && y + dy >= 0 && y + dy < size) set(x + dx, y + dy, distance !== 2 && distance !== 4);
      }
    }
  }
  if (version >= 2) {
    for (let dy = -2; dy <= 2; dy += 1) for (let dx = -2; dx <= 2; dx += 1) set(size - 7 + dx, size - 7 + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
  }
  drawFormatBits(set, size, level, mask);
  placeCodewords(modules, reserved, codewords);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) if (!reserved[y]![x] && maskApplies(mask, x, y)) modules[y]![x] = !modules[y]![x];
  }
  return modules;
}

/** 15 bits: level and mask, a BCH(15,5) remainder, XOR 0x5412; two copies, and the always-dark module. */
function drawFormatBits(set: (x: number, y: number, dark: boolean) => void, size: number, level: QrErrorCorrection, mask: number): void {
  const data = (FORMAT_BITS[level] << 3) | mask;
  let remainder = data;
  for (let index = 0; index < 10; index += 1) remainder = (remainder << 1) ^ ((remainder >>> 9) * 0x537);
  const bits = ((data << 10) | remainder) ^ 0x5412;
  const bit = (index: number): boolean => ((bits >>> index) & 1) !== 0;
  for (let index = 0; index <= 5; index += 1) set(8, index, bit(index));
  set(8, 7, bit(6));
  set(8, 8, bit(7));
  set(7, 8, bit(8));
  for (let index = 9; index < 15; index += 1) set(14 - index, 8, bit(index));
  for (let index = 0; index < 8; index += 1) set(size - 1 - index, 8, bit(index));
  for (let index = 8; index < 15; index += 1) set(8, size - 15 + index, bit(index));
  set(8, size - 8, true);
}

/** The zigzag: two-module columns from the right, alternately upward and downward, skipping the timing column. */
function placeCodewords(modules: boolean[][], reserved: readonly (readonly boolean[])[], codewords: readonly number[]): void {
  const size = modules.length;
  let bitIndex = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let vertical = 0; vertical < size; vertical += 1) {
      for (let offset = 0; offset < 2; offset += 1) {
        const x = right - offset;
        const upward = ((right + 1) & 2) === 0;
        const y = upward ? size - 1 - vertical : vertical;
        if (reserved[y]![x] || bitIndex >= codewords.length * 8) continue;
        modules[y]![x] = ((codewords[bitIndex >>> 3]! >>> (7 - (bitIndex & 7))) & 1) !== 0;
        bitIndex += 1;
      }
    }
  }
}

function maskApplies(mask: number, x: number, y: number): boolean {
  switch (mask) {
    case 0: return (x + y) % 2 === 0;
    case 1: return y % 2 === 0;
    case 2: return x % 3 === 0;
    case 3: return (x + y) % 3 === 0;
    case 4: return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0;
    case 5: return ((x * y) % 2) + ((x * y) % 3) === 0;
    case 6: return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0;
    default: return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
  }
}

/** Rows of "1" (dark) and "0" (light): compact for JSON and easy to compare. */
export function qrRows(matrix: QrMatrix): string[] {
  return matrix.map((row) => row.map((dark) => (dark ? "1" : "0")).join(""));
}
