/**
 * Epson ESC/POS customer display mode (DM-D series), the default model, as plain functions over the
 * generic framebuffer (command-sets.ts has every model). Pure.
 *   ESC @ 1B 40 initialize; US X n 1F 58 n brightness 1..4; US $ x y 1F 24 x y cursor (1-based).
 */
import { epsonCommandSet } from "./command-sets.js";
import type { Brightness } from "./command-sets.js";
import { changedRuns as changedRunsOf, encodeFrameUpdate } from "./framebuffer.js";
import type { Frame } from "./framebuffer.js";

export { blankFrame, normalizeFrame } from "./framebuffer.js";
export type { Frame } from "./framebuffer.js";

export const ESC_AT = Buffer.from([0x1b, 0x40]);

export function brightness(level: Brightness): Buffer {
  return Buffer.from([0x1f, 0x58, level]);
}

/** ESC @ and US X n: the device then shows a blank screen. */
export function initialize(level: Brightness = 4): Buffer {
  return Buffer.concat([ESC_AT, brightness(level)]);
}

export function encodeUpdate(shown: Frame, wanted: Frame): Buffer {
  return encodeFrameUpdate(shown, wanted, epsonCommandSet, epsonCommandSet.characterMap("ascii"));
}

export function changedRuns(from: string, to: string): Array<[number, number]> {
  return changedRunsOf(from, to, epsonCommandSet.cursorMoveBytes);
}
