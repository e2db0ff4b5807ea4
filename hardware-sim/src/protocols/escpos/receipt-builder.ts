/**
 * Turns decoded printer commands into receipts, the way paper comes out of a printer: text is
 * laid into lines with the modes in force, LF prints a line, a cut closes the receipt.
 * Pure state + apply: applyPrinterCommand(state, command) -> { state, closedReceipt? }.
 */
import { CODE_TABLE_PC437 } from "../code-tables.js";
import { receiptLinesMax, receiptQrCodesMax } from "../../limits.js";
import { decodeText, REPLACEMENT_CHARACTER } from "./kanji-text.js";
import type { Alignment, KanjiCodeSystem, PrinterCommand } from "./printer-commands.js";

export interface CharacterSize {
  readonly width: number;
  readonly height: number;
}

export interface ReceiptLine {
  readonly text: string;
  /** Alignment in force when the line started (ESC a takes effect at the start of a line). */
  readonly align: Alignment;
  /** True when any visible character of the line was printed emphasized. */
  readonly bold: boolean;
  /** The largest character size used in the line. */
  readonly size: CharacterSize;
}

export interface Receipt {
  readonly text: string;
  readonly lines: readonly ReceiptLine[];
  readonly qr: readonly string[];
  readonly cut: boolean;
  readonly drawerKicks: number;
  /** Torn off by a paper end before it was finished (printer emulator). */
  readonly torn?: boolean;
}

interface PrintModes {
  readonly align: Alignment;
  readonly bold: boolean; // ESC E or ESC ! bit 3
  readonly printModeSize: CharacterSize; // ESC ! bits 4 and 5
  readonly characterSize: CharacterSize; // GS ! n
  readonly underline: number;
  readonly codeTable: number;
  readonly kanjiMode: boolean; // FS & / FS .
  readonly kanjiCodeSystem: KanjiCodeSystem; // FS C n
}

interface LineInProgress {
  readonly text: string;
  readonly align: Alignment;
  readonly bold: boolean;
  readonly size: CharacterSize;
}

export interface ReceiptBuilderState {
  readonly modes: PrintModes;
  readonly line: LineInProgress | undefined;
  readonly lines: readonly ReceiptLine[];
  readonly qr: readonly string[];
  readonly storedQrData: string | undefined;
  readonly drawerKicks: number;
  readonly malformedDrawerKicks: number;
  readonly unknownCommands: number;
  /** Kanji mode: the first byte of a double-byte character whose second byte is still to come. */
  readonly pendingKanjiByte?: number | undefined;
}

const NORMAL_SIZE: CharacterSize = { width: 1, height: 1 };

const DEFAULT_MODES: PrintModes = {
  align: "left", bold: false, printModeSize: NORMAL_SIZE, characterSize: NORMAL_SIZE, underline: 0, codeTable: CODE_TABLE_PC437,
  kanjiMode: false, kanjiCodeSystem: "jis",
};

export function initialReceiptBuilder(): ReceiptBuilderState {
  return {
    modes: DEFAULT_MODES, line: undefined, lines: [], qr: [], storedQrData: undefined,
    drawerKicks: 0, malformedDrawerKicks: 0, unknownCommands: 0,
  };
}

export interface ApplyResult {
  readonly state: ReceiptBuilderState;
  readonly closedReceipt?: Receipt;
  /** Drawer kicks to add to the receipt closed before (the kick follows the cut). */
  readonly kicksForPreviousReceipt?: number;
}

export function applyPrinterCommand(state: ReceiptBuilderState, command: PrinterCommand): ApplyResult {
  if (command.type === "text") return { state: addPrintedBytes(state, command.bytes) };
  // A double-byte character cut short by a command prints as one unreadable character.
  const settled = state.pendingKanjiByte === undefined || command.type === "statusRequest"
    ? state
    : { ...addText(state, REPLACEMENT_CHARACTER), pendingKanjiByte: undefined };
  return applyCommand(settled, command);
}

function applyCommand(state: ReceiptBuilderState, command: Exclude<PrinterCommand, { type: "text" }>): ApplyResult {
  switch (command.type) {
    case "initialize": return { state: { ...state, modes: DEFAULT_MODES } }; // ESC @ resets modes (kanji mode too), keeps the paper
    case "tab": return { state: addText(state, " ") };
    case "lineFeed": return { state: printLine(state) };
    case "feedLines": return { state: feedLines(state, command.lines) };
    case "align": return { state: withModes(state, { align: command.align }) };
    case "bold": return { state: withModes(state, { bold: command.on }) };
    case "printMode": return { state: withModes(state, printModeFlags(command.mode)) };
    case "characterSize": return { state: withModes(state, { characterSize: { width: command.width, height: command.height } }) };
    case "underline": return { state: withModes(state, { underline: command.thickness }) };
    case "codeTable": return { state: withModes(state, { codeTable: command.table }) };
    case "kanjiMode": return { state: withModes(state, { kanjiMode: command.on }) };
    case "kanjiCodeSystem": return { state: withModes(state, { kanjiCodeSystem: command.system }) };
    case "qrStore": return { state: { ...state, storedQrData: command.data.toString("latin1") } };
    case "qrPrint": return { state: printQr(state) };
    case "cut": return cut(state);
    case "drawerKick": return kickDrawer(state);
    case "drawerKickMalformed": return { state: { ...state, malformedDrawerKicks: state.malformedDrawerKicks + 1 } };
    case "unknown": return { state: { ...state, unknownCommands: state.unknownCommands + 1 } };
    case "resync": return { state: { ...state, unknownCommands: state.unknownCommands + command.droppedBytes } };
    case "carriageReturn": case "statusRequest": case "automaticStatusBack": case "transmitStatus": case "ignored":
      return { state };
  }
}

/** ESC ! n: bit 3 emphasized, bit 4 double height, bit 5 double width (bit 7 underline). */
function printModeFlags(mode: number): Partial<PrintModes> {
  return {
    bold: (mode & 0x08) !== 0,
    printModeSize: { width: (mode & 0x20) !== 0 ? 2 : 1, height: (mode & 0x10) !== 0 ? 2 : 1 },
    underline: (mode & 0x80) !== 0 ? 1 : 0,
  };
}

function withModes(state: ReceiptBuilderState, change: Partial<PrintModes>): ReceiptBuilderState {
  return { ...state, modes: { ...state.modes, ...change } };
}

function currentSize(modes: PrintModes): CharacterSize {
  return {
    width: Math.max(modes.printModeSize.width, modes.characterSize.width),
    height: Math.max(modes.printModeSize.height, modes.characterSize.height),
  };
}

function addPrintedBytes(state: ReceiptBuilderState, bytes: Buffer): ReceiptBuilderState {
  const decoded = decodeText(bytes, state.modes, state.pendingKanjiByte);
  const withText = decoded.text === "" ? state : addText(state, decoded.text);
  return { ...withText, pendingKanjiByte: decoded.pendingByte };
}

function addText(state: ReceiptBuilderState, text: string): ReceiptBuilderState {
  const line = state.line ?? { text: "", align: state.modes.align, bold: false, size: NORMAL_SIZE };
  const size = currentSize(state.modes);
  const visible = text.trim().length > 0;
  return {
    ...state,
    line: {
      text: line.text + text,
      align: line.align,
      bold: line.bold || (visible && state.modes.bold),
      size: visible ? { width: Math.max(line.size.width, size.width), height: Math.max(line.size.height, size.height) } : line.size,
    },
  };
}

function appendLine(state: ReceiptBuilderState, line: ReceiptLine): ReceiptBuilderState {
  // Blank lines before any content are paper feed, not part of a receipt.
  if (line.text.trim() === "" && state.lines.length === 0 && state.qr.length === 0) return { ...state, line: undefined };
  const lines = state.lines.length >= receiptLinesMax ? state.lines.slice(1) : state.lines;
  return { ...state, line: undefined, lines: [...lines, line] };
}

/** LF: print the line in the buffer, or an empty line. */
function printLine(state: ReceiptBuilderState): ReceiptBuilderState {
  const line = state.line ?? { text: "", align: state.modes.align, bold: false, size: NORMAL_SIZE };
  return appendLine(state, { ...line, text: line.text.trimEnd() });
}

/** ESC d n: print the buffer and feed n lines. */
function feedLines(state: ReceiptBuilderState, lines: number): ReceiptBuilderState {
  let current = state.line === undefined ? state : printLine(state);
  const blankLines = state.line === undefined ? lines : lines - 1;
  for (let index = 0; index < blankLines; index += 1) current = printLine(current);
  return current;
}

function printQr(state: ReceiptBuilderState): ReceiptBuilderState {
  if (state.storedQrData === undefined || state.qr.length >= receiptQrCodesMax) return state;
  const flushed = state.line === undefined ? state : printLine(state);
  return { ...flushed, qr: [...flushed.qr, state.storedQrData] };
}

function hasContent(state: ReceiptBuilderState): boolean {
  return state.lines.length > 0 || state.qr.length > 0 || (state.line?.text.trim() ?? "") !== "";
}

/** GS V: print what is buffered and cut; a cut closes the receipt. Blank trailing lines are feed. */
function cut(state: ReceiptBuilderState): ApplyResult {
  if (!hasContent(state)) return { state: { ...state, line: undefined, lines: [] } };
  const flushed = state.line === undefined ? state : printLine(state);
  const lines = trimTrailingBlankLines(flushed.lines);
  const receipt: Receipt = {
    text: lines.map((line) => line.text).join("\n"), lines, qr: flushed.qr, cut: true, drawerKicks: flushed.drawerKicks,
  };
  return { state: { ...flushed, line: undefined, lines: [], qr: [], drawerKicks: 0 }, closedReceipt: receipt };
}

function trimTrailingBlankLines(lines: readonly ReceiptLine[]): readonly ReceiptLine[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.text.trim() === "") end -= 1;
  return lines.slice(0, end);
}

/** A kick after a cut (and before new content) is counted on the receipt just cut. */
function kickDrawer(state: ReceiptBuilderState): ApplyResult {
  if (!hasContent(state)) return { state, kicksForPreviousReceipt: 1 };
  return { state: { ...state, drawerKicks: state.drawerKicks + 1 } };
}

/** The receipt being printed now (not cut yet), or undefined when the paper is clean. */
export function openReceipt(state: ReceiptBuilderState): Receipt | undefined {
  if (!hasContent(state)) return undefined;
  const lines = state.line === undefined ? state.lines : [...state.lines, { ...state.line, text: state.line.text.trimEnd() }];
  return { text: lines.map((line) => line.text).join("\n"), lines, qr: state.qr, cut: false, drawerKicks: state.drawerKicks };
}
