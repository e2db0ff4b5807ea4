/**
 * Printed text as a printer with a kanji font reads it, written from the Epson ESC/POS reference
 * (FS &, FS ., FS C). Pure: bytes and modes in, characters out.
 *
 * - Kanji mode off: one byte, one character of the selected code table (ESC t n).
 * - Kanji mode on, Shift_JIS (FS C 1): a lead byte 0x81-0x9F or 0xE0-0xFC and the byte after it are
 *   one double-byte character; other bytes are single-byte characters of the code table (ASCII, and
 *   half-width Katakana 0xA1-0xDF under ESC t 1).
 * - Kanji mode on, JIS (FS C 0): every two bytes (0x21-0x7E each) are one JIS X 0208 character.
 *
 * The simulator is strict: kanji are read only in kanji mode, even where a model would read
 * Shift_JIS without FS &, so a receipt that forgets the switch shows replacement characters.
 * Double-byte characters are turned into text by the runtime's own Shift_JIS decoder (ICU's
 * TextDecoder), never by the library the agent encodes with: the two must agree independently.
 * A character that does not decode shows as U+FFFD.
 */
import { decodeCodeTableByte } from "../code-tables.js";
import type { KanjiCodeSystem } from "./printer-commands.js";

export interface TextModes {
  readonly codeTable: number;
  readonly kanjiMode: boolean;
  readonly kanjiCodeSystem: KanjiCodeSystem;
}

export interface DecodedText {
  readonly text: string;
  /** The first byte of a double-byte character whose second byte has not arrived yet. */
  readonly pendingByte: number | undefined;
}

export const REPLACEMENT_CHARACTER = "\uFFFD";

const shiftJisDecoder = new TextDecoder("shift_jis");

export function isShiftJisLeadByte(byte: number): boolean {
  return (byte >= 0x81 && byte <= 0x9f) || (byte >= 0xe0 && byte <= 0xfc);
}

function isShiftJisTrailByte(byte: number): boolean {
  return (byte >= 0x40 && byte <= 0x7e) || (byte >= 0x80 && byte <= 0xfc);
}

function decodeShiftJisPair(lead: number, trail: number): string {
  if (!isShiftJisTrailByte(trail)) return REPLACEMENT_CHARACTER;
  return shiftJisDecoder.decode(Uint8Array.of(lead, trail));
}

/** JIS X 0208 row/cell bytes (0x21-0x7E each) to the same character's Shift_JIS bytes. */
export function jisToShiftJis(first: number, second: number): readonly [number, number] {
  const lead = ((first + 1) >> 1) + (first <= 0x5e ? 0x70 : 0xb0);
  const trail = first % 2 === 1 ? second + (second >= 0x60 ? 0x20 : 0x1f) : second + 0x7e;
  return [lead, trail];
}

function decodeJisPair(first: number, second: number): string {
  const valid = (byte: number): boolean => byte >= 0x21 && byte <= 0x7e;
  if (!valid(first) || !valid(second)) return REPLACEMENT_CHARACTER;
  const [lead, trail] = jisToShiftJis(first, second);
  return decodeShiftJisPair(lead, trail);
}

/** Decodes one run of text bytes; `pendingByte` is a lead byte left from the run before. */
export function decodeText(bytes: Uint8Array, modes: TextModes, pendingByte: number | undefined): DecodedText {
  let text = "";
  let pending = pendingByte;
  for (const byte of bytes) {
    if (pending !== undefined) {
      text += modes.kanjiCodeSystem === "jis" ? decodeJisPair(pending, byte) : decodeShiftJisPair(pending, byte);
      pending = undefined;
    } else if (modes.kanjiMode && (modes.kanjiCodeSystem === "jis" || isShiftJisLeadByte(byte))) {
      pending = byte;
    } else {
      text += decodeCodeTableByte(byte, modes.codeTable);
    }
  }
  return { text, pendingByte: pending };
}
