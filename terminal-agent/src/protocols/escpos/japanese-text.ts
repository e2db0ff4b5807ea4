/**
 * Japanese text for ESC/POS receipts, in the encoding the printer model needs (node-thermal-printer
 * has neither). Pure: text in, bytes out.
 *
 * - "katakana": every printer. `ESC t 1` selects the Katakana table (JIS X 0201: half-width Katakana
 *   in 0xA1-0xDF, one byte per column); full-width Katakana and Hiragana are folded to half-width,
 *   kanji print as "?".
 * - "shift_jis": printers with a kanji font (Japanese TM models and compatibles). `FS C 1` selects
 *   the Shift_JIS code system; a line holding double-byte characters is wrapped in `FS &` (kanji mode
 *   on) and `FS .` (off). Double-byte characters take two columns, so a line's width is its byte
 *   count without those switches. Single bytes stay ASCII or half-width Katakana (0xA1-0xDF, the
 *   same as `ESC t 1`); a character Shift_JIS lacks prints as "?".
 */
import iconv from "iconv-lite";
import { encodeDisplayText, toHalfWidth } from "../pole-display/character-map.js";

export const JAPANESE_ENCODINGS = ["katakana", "shift_jis"] as const;
export type JapaneseEncoding = (typeof JAPANESE_ENCODINGS)[number];

/** ESC t 1: character code table Katakana (JIS X 0201 in 0xA1-0xDF). */
export const SELECT_KATAKANA_TABLE = Buffer.from([0x1b, 0x74, 0x01]);
/** FS C 1: kanji character code system Shift_JIS. */
export const SELECT_SHIFT_JIS = Buffer.from([0x1c, 0x43, 0x01]);
/** FS &: kanji mode on. */
export const KANJI_MODE_ON = Buffer.from([0x1c, 0x26]);
/** FS .: kanji mode off. */
export const KANJI_MODE_OFF = Buffer.from([0x1c, 0x2e]);

/** Text ready for the printer: its bytes and the columns it takes on paper. */
export interface EncodedText {
  readonly bytes: Buffer;
  readonly columns: number;
}

/** JIS X 0201 bytes: ASCII as is, half-width Katakana 0xA1-0xDF, anything else "?". */
export function encodeKatakana(text: string): Buffer {
  return encodeDisplayText(toHalfWidth(text), { euro: undefined, katakana: true });
}

/** Shift_JIS lead bytes (JIS X 0208 rows and the user area): the next byte belongs to the same character. */
export function isShiftJisLeadByte(byte: number): boolean {
  return (byte >= 0x81 && byte <= 0x9f) || (byte >= 0xe0 && byte <= 0xfc);
}

function hasDoubleByteCharacter(bytes: Buffer): boolean {
  for (const byte of bytes) if (isShiftJisLeadByte(byte)) return true;
  return false;
}

/** One piece of text in the model's encoding; control characters become "?" so text can never be a command. */
export function encodeJapaneseText(text: string, encoding: JapaneseEncoding): EncodedText {
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  if (encoding === "katakana") {
    const bytes = encodeKatakana(printable);
    return { bytes, columns: bytes.length };
  }
  const bytes = iconv.encode(printable, "Shift_JIS");
  if (!hasDoubleByteCharacter(bytes)) return { bytes, columns: bytes.length };
  return { bytes: Buffer.concat([KANJI_MODE_ON, bytes, KANJI_MODE_OFF]), columns: bytes.length };
}

/** What a receipt sends before its first Japanese text. */
export function japanesePreamble(encoding: JapaneseEncoding): Buffer {
  return encoding === "katakana" ? SELECT_KATAKANA_TABLE : Buffer.concat([SELECT_KATAKANA_TABLE, SELECT_SHIFT_JIS]);
}
