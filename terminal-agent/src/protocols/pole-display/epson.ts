/**
 * Epson ESC/POS customer display mode (DM-D series), encoder only. Pure: frames in, bytes out.
 *   ESC @      1B 40        initialize: clears the screen, cursor home, modes reset
 *   US X n     1F 58 n      brightness, n = 1..4
 *   US $ x y   1F 24 x y    move the cursor to column x (1..20), row y (1..2)
 * Characters 0x20..0x7E print at the cursor, which then moves right (overwrite mode, the default).
 */
import { displayColumns, displayRows } from "../../core/limits.js";

export const ESC_AT = Buffer.from([0x1b, 0x40]);

export type Frame = readonly string[];

/** The screen right after ESC @: every cell blank. */
export function blankFrame(): Frame {
  return Array.from({ length: displayRows }, () => " ".repeat(displayColumns));
}

export function brightness(level: 1 | 2 | 3 | 4): Buffer {
  return Buffer.from([0x1f, 0x58, level]);
}

export function cursorTo(column: number, row: number): Buffer {
  if (column < 1 || column > displayColumns || row < 1 || row > displayRows) throw new RangeError(`cursor ${column},${row} off screen`);
  return Buffer.from([0x1f, 0x24, column, row]);
}

/** Initialize and set brightness; the device then shows blankFrame(). */
export function initialize(level: 1 | 2 | 3 | 4 = 4): Buffer {
  return Buffer.concat([ESC_AT, brightness(level)]);
}

/** Printable ASCII only: anything else (control bytes, non-ASCII) becomes "?" so it cannot act as a command. */
export function encodeText(text: string): Buffer {
  const bytes = Buffer.alloc(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    bytes[i] = code >= 0x20 && code <= 0x7e ? code : 0x3f;
  }
  return bytes;
}

/** Normalizes a frame to exactly displayRows x displayColumns cells. */
export function normalizeFrame(frame: Frame): Frame {
  return Array.from({ length: displayRows }, (_, row) => (frame[row] ?? "").slice(0, displayColumns).padEnd(displayColumns, " "));
}

/**
 * Bytes that turn the screen from `shown` into `wanted`, touching only changed cells.
 * Each run of changed cells costs a 4-byte cursor move; two runs closer than that are merged,
 * since rewriting a few unchanged cells is cheaper than another cursor move.
 */
export function encodeUpdate(shown: Frame, wanted: Frame): Buffer {
  const from = normalizeFrame(shown);
  const to = normalizeFrame(wanted);
  const chunks: Buffer[] = [];
  for (let row = 0; row < displayRows; row++) {
    for (const [start, end] of changedRuns(from[row]!, to[row]!)) {
      chunks.push(cursorTo(start + 1, row + 1), encodeText(to[row]!.slice(start, end)));
    }
  }
  return Buffer.concat(chunks);
}

const cursorMoveBytes = 4;

/** Half-open [start, end) column ranges where the two lines differ, merged across short gaps. */
export function changedRuns(from: string, to: string): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let column = 0; column < to.length; column++) {
    if (from[column] === to[column]) continue;
    const last = runs[runs.length - 1];
    if (last && column - last[1] < cursorMoveBytes) last[1] = column + 1;
    else runs.push([column, column + 1]);
  }
  return runs;
}
