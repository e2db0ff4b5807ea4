/**
 * Byte -> character for the code tables the devices select with `ESC t n`.
 * ASCII is the same everywhere; above 0x7F only what Code Pay's devices need is mapped:
 * table 1 is Katakana (JIS X 0201 half-width, 0xA1-0xDF), table 19 is PC858 (euro at 0xD5).
 * Anything else shows as U+FFFD so a wrong encoding is visible instead of silently plausible.
 */

export const CODE_TABLE_PC437 = 0;
export const CODE_TABLE_KATAKANA = 1;
export const CODE_TABLE_PC858 = 19;

/** Simulator ids for the models' own default tables (not ESC t numbers). */
export const CODE_TABLE_CD5220_DEFAULT = 250; // PC437 with the euro at 0xEE
export const CODE_TABLE_LOGIC_CONTROLS = 251; // euro at 0x80, Katakana at 0xA1-0xDF

const REPLACEMENT = "\uFFFD";

export function decodeCodeTableByte(byte: number, table: number): string {
  if (byte >= 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  if (table === CODE_TABLE_KATAKANA && byte >= 0xa1 && byte <= 0xdf) {
    return String.fromCharCode(0xff61 + (byte - 0xa1)); // half-width Katakana block
  }
  if (table === CODE_TABLE_PC858 && byte === 0xd5) return "€";
  if (table === CODE_TABLE_CD5220_DEFAULT && byte === 0xee) return "€";
  if (table === CODE_TABLE_LOGIC_CONTROLS && byte === 0x80) return "€";
  if (table === CODE_TABLE_LOGIC_CONTROLS && byte >= 0xa1 && byte <= 0xdf) return String.fromCharCode(0xff61 + (byte - 0xa1));
  return REPLACEMENT;
}

export function decodeCodeTableBytes(bytes: Uint8Array, table: number): string {
  let text = "";
  for (const byte of bytes) text += decodeCodeTableByte(byte, table);
  return text;
}
