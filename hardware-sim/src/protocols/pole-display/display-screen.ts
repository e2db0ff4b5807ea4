/**
 * The 2x20 screen model of an Epson DM-D display, and a pure function applying one decoded
 * command to it. Cursor positions are 1-based like `US $ x y`.
 */
import { CODE_TABLE_PC437, decodeCodeTableByte } from "../code-tables.js";
import type { DisplayCommand, DisplayWriteMode } from "./display-commands.js";

export const DISPLAY_COLUMNS = 20;
export const DISPLAY_ROWS = 2;

export interface DisplayScreen {
  readonly rows: readonly string[]; // each exactly DISPLAY_COLUMNS characters
  /** col is DISPLAY_COLUMNS + 1 only in the scroll modes, after a write at the right end. */
  readonly cursor: { readonly row: number; readonly col: number };
  readonly cursorVisible: boolean;
  readonly brightness: number; // 1-4
  readonly blinkInterval: number; // 0: no blinking
  readonly writeMode: DisplayWriteMode;
  readonly codeTable: number;
  /** Commands the model did not understand, and bytes dropped to resync: a driver bug shows here. */
  readonly unknownCommands: number;
}

const BLANK_ROW = " ".repeat(DISPLAY_COLUMNS);

export function initialScreen(unknownCommands = 0): DisplayScreen {
  return {
    rows: [BLANK_ROW, BLANK_ROW],
    cursor: { row: 1, col: 1 },
    cursorVisible: true,
    brightness: 4,
    blinkInterval: 0,
    writeMode: "overwrite",
    codeTable: CODE_TABLE_PC437,
    unknownCommands,
  };
}

export function applyDisplayCommand(screen: DisplayScreen, command: DisplayCommand): DisplayScreen {
  switch (command.type) {
    case "initialize": return initialScreen(screen.unknownCommands); // ESC @: clear, home, reset modes
    case "clear": return { ...screen, rows: [BLANK_ROW, BLANK_ROW], cursor: { row: 1, col: 1 } };
    case "clearLine": return { ...withRow(screen, screen.cursor.row, BLANK_ROW), cursor: { row: screen.cursor.row, col: 1 } };
    case "home": return { ...screen, cursor: { row: 1, col: 1 } };
    case "cursorTo": return moveCursorTo(screen, command.col, command.row);
    case "carriageReturn": return { ...screen, cursor: { row: screen.cursor.row, col: 1 } };
    case "lineFeed": return lineFeed(screen);
    case "backspace": return backspace(screen);
    case "tab": return advanceCursor(screen);
    case "cursorUp": return { ...screen, cursor: { row: screen.cursor.row === 1 ? DISPLAY_ROWS : 1, col: screen.cursor.col } };
    case "cursorRightEnd": return { ...screen, cursor: { row: screen.cursor.row, col: DISPLAY_COLUMNS } };
    case "cursorBottom": return { ...screen, cursor: { row: DISPLAY_ROWS, col: 1 } };
    case "cursorVisible": return { ...screen, cursorVisible: command.visible };
    case "brightness": return command.level >= 1 && command.level <= 4 ? { ...screen, brightness: command.level } : countUnknown(screen);
    case "blink": return { ...screen, blinkInterval: command.interval };
    case "codeTable": return { ...screen, codeTable: command.table };
    case "writeMode": return { ...screen, writeMode: command.mode };
    case "text": return writeText(screen, command.bytes);
    case "lineWrite": return writeLine(screen, command.row, command.bytes);
    case "ignored": return screen;
    case "unknown": return countUnknown(screen);
    case "resync": return { ...screen, unknownCommands: screen.unknownCommands + command.droppedBytes };
  }
}

function countUnknown(screen: DisplayScreen): DisplayScreen {
  return { ...screen, unknownCommands: screen.unknownCommands + 1 };
}

function withRow(screen: DisplayScreen, row: number, text: string): DisplayScreen {
  const rows = screen.rows.slice();
  rows[row - 1] = text;
  return { ...screen, rows };
}

/** US $ x y: out-of-range positions are ignored by the device. */
function moveCursorTo(screen: DisplayScreen, col: number, row: number): DisplayScreen {
  if (col < 1 || col > DISPLAY_COLUMNS || row < 1 || row > DISPLAY_ROWS) return countUnknown(screen);
  return { ...screen, cursor: { row, col } };
}

function scrollUp(screen: DisplayScreen): DisplayScreen {
  return { ...screen, rows: [screen.rows[1]!, BLANK_ROW] };
}

/** LF: next row; from the bottom row, overwrite mode goes back to the top, vertical scroll scrolls. */
function lineFeed(screen: DisplayScreen): DisplayScreen {
  const col = Math.min(screen.cursor.col, DISPLAY_COLUMNS);
  if (screen.cursor.row < DISPLAY_ROWS) return { ...screen, cursor: { row: screen.cursor.row + 1, col } };
  if (screen.writeMode === "vertical-scroll") return { ...scrollUp(screen), cursor: { row: DISPLAY_ROWS, col } };
  return { ...screen, cursor: { row: 1, col } };
}

/** BS: one left; from column 1 the cursor goes to the end of the other row. */
function backspace(screen: DisplayScreen): DisplayScreen {
  const { row, col } = screen.cursor;
  if (col > 1) return { ...screen, cursor: { row, col: Math.min(col, DISPLAY_COLUMNS + 1) - 1 } };
  return { ...screen, cursor: { row: row === 1 ? DISPLAY_ROWS : 1, col: DISPLAY_COLUMNS } };
}

/** HT, and the step after every written character, per write mode. */
function advanceCursor(screen: DisplayScreen): DisplayScreen {
  const { row, col } = screen.cursor;
  if (col < DISPLAY_COLUMNS) return { ...screen, cursor: { row, col: col + 1 } };
  if (screen.writeMode === "overwrite") {
    // Overwrite mode wraps: end of row 1 -> start of row 2 -> start of row 1.
    return { ...screen, cursor: { row: row === 1 ? 2 : 1, col: 1 } };
  }
  if (screen.writeMode === "vertical-scroll" && row === 1) return { ...screen, cursor: { row: 2, col: 1 } };
  return { ...screen, cursor: { row, col: DISPLAY_COLUMNS + 1 } }; // parked past the end: the next write scrolls
}

/** Makes room when the cursor is parked past the right end (scroll modes only). */
function makeRoom(screen: DisplayScreen): DisplayScreen {
  if (screen.cursor.col <= DISPLAY_COLUMNS) return screen;
  if (screen.writeMode === "horizontal-scroll") {
    const row = screen.cursor.row;
    const shifted = withRow(screen, row, `${screen.rows[row - 1]!.slice(1)} `);
    return { ...shifted, cursor: { row, col: DISPLAY_COLUMNS } };
  }
  return { ...scrollUp(screen), cursor: { row: DISPLAY_ROWS, col: 1 } };
}

function writeText(screen: DisplayScreen, bytes: Buffer): DisplayScreen {
  let current = screen;
  for (const byte of bytes) {
    current = makeRoom(current);
    const { row, col } = current.cursor;
    const line = current.rows[row - 1]!;
    const character = decodeCodeTableByte(byte, current.codeTable);
    current = advanceCursor(withRow(current, row, line.slice(0, col - 1) + character + line.slice(col)));
  }
  return current;
}

/** ESC Q A/B (CD5220): the line is replaced from column 1, padded with blanks; the cursor stays. */
function writeLine(screen: DisplayScreen, row: number, bytes: Buffer): DisplayScreen {
  if (row < 1 || row > DISPLAY_ROWS) return countUnknown(screen);
  let text = "";
  for (const byte of bytes.subarray(0, DISPLAY_COLUMNS)) text += decodeCodeTableByte(byte, screen.codeTable);
  return withRow(screen, row, text.padEnd(DISPLAY_COLUMNS, " "));
}
