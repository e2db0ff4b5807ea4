/**
 * The host's copy of what the display shows, and the bytes that turn one frame into the next,
 * touching only changed cells (lcdproc serialPOS and uniCenta do the same). Pure.
 * Each run of changed cells costs one cursor move; runs closer than a cursor move are merged,
 * since rewriting a few unchanged cells is cheaper than another move.
 */
import { encodeDisplayText } from "./character-map.js";
import type { CharacterMap } from "./character-map.js";
import type { DisplayCommandSet } from "./command-sets.js";

export type Frame = readonly string[];

export interface DisplayGeometry {
  readonly columns: number;
  readonly rows: number;
}

export const DEFAULT_GEOMETRY: DisplayGeometry = { columns: 20, rows: 2 };

export function blankFrame(geometry: DisplayGeometry = DEFAULT_GEOMETRY): Frame {
  return Array.from({ length: geometry.rows }, () => " ".repeat(geometry.columns));
}

/** Exactly rows x columns cells. */
export function normalizeFrame(frame: Frame, geometry: DisplayGeometry = DEFAULT_GEOMETRY): Frame {
  return Array.from({ length: geometry.rows }, (_, row) => (frame[row] ?? "").slice(0, geometry.columns).padEnd(geometry.columns, " "));
}

/** Half-open [start, end) column ranges where the two lines differ, merged across gaps shorter than `mergeGap`. */
export function changedRuns(from: string, to: string, mergeGap = 4): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let column = 0; column < to.length; column++) {
    if (from[column] === to[column]) continue;
    const last = runs[runs.length - 1];
    if (last && column - last[1] < mergeGap) last[1] = column + 1;
    else runs.push([column, column + 1]);
  }
  return runs;
}

export function encodeFrameUpdate(shown: Frame, wanted: Frame, commands: DisplayCommandSet, map: CharacterMap, geometry: DisplayGeometry = DEFAULT_GEOMETRY): Buffer {
  const from = normalizeFrame(shown, geometry);
  const to = normalizeFrame(wanted, geometry);
  const chunks: Buffer[] = [];
  for (let row = 0; row < geometry.rows; row++) {
    for (const [start, end] of changedRuns(from[row]!, to[row]!, commands.cursorMoveBytes)) {
      chunks.push(commands.cursorTo(start + 1, row + 1, geometry.columns), encodeDisplayText(to[row]!.slice(start, end), map));
    }
  }
  return Buffer.concat(chunks);
}
