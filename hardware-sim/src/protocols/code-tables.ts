/**
 * Byte -> character for the code tables the devices select with `ESC t n` (Epson ESC/POS command
 * reference, "ESC t": 0 PC437 USA/Standard Europe, 1 Katakana, 2 PC850 Multilingual, 16 WPC1252, 19 PC858 Euro).
 * ASCII (0x20-0x7E) is the same everywhere. Above 0x7F, written from the code charts (IBM code pages
 * 437, 850 and 858 as printed in Epson's character code tables), never from the agent's encoder:
 *   PC437  the original IBM PC set: accented Latin, box drawing, Greek and maths
 *   PC850  Multilingual Latin-1: PC437's Greek/maths and most box drawing give way to Latin-1 letters
 *   PC858  PC850 with the euro sign at 0xD5 (where PC850 has dotless i)
 *   WPC1252 Windows Latin 1: 0xA0-0xFF as ISO 8859-1, 0x80-0x9F typographic marks and € (five cells empty)
 *   Katakana: JIS X 0201 half-width Katakana at 0xA1-0xDF.
 * Bytes a table leaves undefined show as U+FFFD, so a wrong encoding is visible instead of silently plausible.
 */

export const CODE_TABLE_PC437 = 0;
export const CODE_TABLE_KATAKANA = 1;
export const CODE_TABLE_PC850 = 2;
export const CODE_TABLE_WPC1252 = 16;
export const CODE_TABLE_PC858 = 19;

/** Simulator ids for the models' own default tables (not ESC t numbers). */
export const CODE_TABLE_CD5220_DEFAULT = 250; // PC437 with the euro at 0xEE
export const CODE_TABLE_LOGIC_CONTROLS = 251; // euro at 0x80, Katakana at 0xA1-0xDF

const REPLACEMENT = "\uFFFD";

/** One string per chart row of 16 cells, 0x80 to 0xFF. U+00A0 (no-break space) at 0xFF in all three. */
const PC437_HIGH = [
  "ÇüéâäàåçêëèïîìÄÅ",
  "ÉæÆôöòûùÿÖÜ¢£¥₧ƒ",
  "áíóúñÑªº¿⌐¬½¼¡«»",
  "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐",
  "└┴┬├─┼╞╟╚╔╩╦╠═╬╧",
  "╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀",
  "αßΓπΣσµτΦΘΩδ∞φε∩",
  "≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0",
].join("");

const PC850_HIGH = [
  "ÇüéâäàåçêëèïîìÄÅ",
  "ÉæÆôöòûùÿÖÜø£Ø×ƒ",
  "áíóúñÑªº¿®¬½¼¡«»",
  "░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐",
  "└┴┬├─┼ãÃ╚╔╩╦╠═╬¤",
  "ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀",
  "ÓßÔÒõÕµþÞÚÛÙýÝ¯´",
  "\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0",
].join("");

const PC858_HIGH = PC850_HIGH.slice(0, 0xd5 - 0x80) + "€" + PC850_HIGH.slice(0xd5 - 0x80 + 1);

/** 0x80-0x9F of Windows-1252; U+FFFD for its five empty cells (81, 8D, 8F, 90, 9D). The rest is Latin-1. */
const WPC1252_80_9F = "€\uFFFD‚ƒ„…†‡ˆ‰Š‹Œ\uFFFDŽ\uFFFD\uFFFD‘’“”•–—˜™š›œ\uFFFDžŸ";

function high(table: string, byte: number): string {
  return table[byte - 0x80]!;
}

export function decodeCodeTableByte(byte: number, table: number): string {
  if (byte >= 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  if (byte < 0x80) return REPLACEMENT;
  switch (table) {
    case CODE_TABLE_PC437:
      return high(PC437_HIGH, byte);
    case CODE_TABLE_PC850:
      return high(PC850_HIGH, byte);
    case CODE_TABLE_PC858:
      return high(PC858_HIGH, byte);
    case CODE_TABLE_WPC1252:
      return byte < 0xa0 ? WPC1252_80_9F[byte - 0x80]! : String.fromCharCode(byte);
    case CODE_TABLE_KATAKANA:
      return byte >= 0xa1 && byte <= 0xdf ? String.fromCharCode(0xff61 + (byte - 0xa1)) : REPLACEMENT; // half-width Katakana block
    case CODE_TABLE_CD5220_DEFAULT:
      return byte === 0xee ? "€" : high(PC437_HIGH, byte);
    case CODE_TABLE_LOGIC_CONTROLS:
      if (byte === 0x80) return "€";
      return byte >= 0xa1 && byte <= 0xdf ? String.fromCharCode(0xff61 + (byte - 0xa1)) : REPLACEMENT;
    default:
      return REPLACEMENT;
  }
}

export function decodeCodeTableBytes(bytes: Uint8Array, table: number): string {
  let text = "";
  for (const byte of bytes) text += decodeCodeTableByte(byte, table);
  return text;
}
