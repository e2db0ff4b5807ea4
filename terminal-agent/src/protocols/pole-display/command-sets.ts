/**
 * The three pole-display command sets behind one interface (pure encoders, from each maker's list):
 *   Epson ESC/POS display mode (DM-D): ESC @ init, US X n brightness 1-4, US $ x y cursor (1-based),
 *     ESC t n code table (1 = Katakana, 19 = PC858 with € at 0xD5).
 *   CD5220: ESC @ init, 0C clear, ESC l x y cursor (1-based), ESC * n brightness 1-4, ESC t n table.
 *     Its line writes (ESC Q A/B ... CR) lock some units until 0C/18, so this driver never uses them:
 *     it writes at the cursor like the others. € at 0xEE in its default international table.
 *   Logic Controls (PD/LD series): 1F reset, 11 normal (overwrite) mode, 14 cursor off, 10 n cursor
 *     to linear position n (0-based, row * columns + column), 04 n brightness (20/40/60/FF);
 *     Katakana at 0xA1-0xDF and € at 0x80 in its default table.
 * Each command set writes text at the cursor; the framebuffer (framebuffer.ts) decides what to write.
 */
import type { CharacterMap } from "./character-map.js";

export const DISPLAY_MODELS = ["epson", "cd5220", "logic-controls"] as const;
export type DisplayModel = (typeof DISPLAY_MODELS)[number];
export type Brightness = 1 | 2 | 3 | 4;
export type DisplayCharset = "ascii" | "katakana";

export interface DisplayCommandSet {
  readonly model: DisplayModel;
  /** Reset, clear, home, brightness and code table; the device then shows a blank screen. */
  initialize(brightness: Brightness, charset: DisplayCharset): Buffer;
  /** Move the cursor to a 1-based column and row. */
  cursorTo(column: number, row: number, columns: number): Buffer;
  /** Bytes of one cursor move: a gap of unchanged cells shorter than this is cheaper rewritten. */
  readonly cursorMoveBytes: number;
  characterMap(charset: DisplayCharset, euroOverride?: number): CharacterMap;
}

const ESC = 0x1b;
const US = 0x1f;

export const epsonCommandSet: DisplayCommandSet = {
  model: "epson",
  initialize: (brightness, charset) =>
    // ESC @, US X n, ESC t n (1 Katakana, 19 PC858 for the euro)
    Buffer.from([ESC, 0x40, US, 0x58, brightness, ESC, 0x74, charset === "katakana" ? 1 : 19]),
  cursorTo: (column, row) => Buffer.from([US, 0x24, column, row]),
  cursorMoveBytes: 4,
  characterMap: (charset, euro) => ({ katakana: charset === "katakana", euro: charset === "katakana" ? undefined : (euro ?? 0xd5) }),
};

export const cd5220CommandSet: DisplayCommandSet = {
  model: "cd5220",
  initialize: (brightness, charset) =>
    // ESC @, CLR, ESC * n, ESC t n (1 Katakana, 0 default international)
    Buffer.from([ESC, 0x40, 0x0c, ESC, 0x2a, brightness, ESC, 0x74, charset === "katakana" ? 1 : 0]),
  cursorTo: (column, row) => Buffer.from([ESC, 0x6c, column, row]),
  cursorMoveBytes: 4,
  characterMap: (charset, euro) => ({ katakana: charset === "katakana", euro: charset === "katakana" ? undefined : (euro ?? 0xee) }),
};

const LOGIC_CONTROLS_BRIGHTNESS: Record<Brightness, number> = { 1: 0x20, 2: 0x40, 3: 0x60, 4: 0xff };

export const logicControlsCommandSet: DisplayCommandSet = {
  model: "logic-controls",
  // 1F reset, 11 overwrite mode, 14 cursor off, 04 n brightness. One table holds both € and Katakana.
  initialize: (brightness) => Buffer.from([0x1f, 0x11, 0x14, 0x04, LOGIC_CONTROLS_BRIGHTNESS[brightness]]),
  cursorTo: (column, row, columns) => Buffer.from([0x10, (row - 1) * columns + (column - 1)]),
  cursorMoveBytes: 2,
  characterMap: (charset, euro) => ({ katakana: charset === "katakana", euro: euro ?? 0x80 }),
};

export const COMMAND_SETS: Readonly<Record<DisplayModel, DisplayCommandSet>> = {
  epson: epsonCommandSet,
  cd5220: cd5220CommandSet,
  "logic-controls": logicControlsCommandSet,
};
