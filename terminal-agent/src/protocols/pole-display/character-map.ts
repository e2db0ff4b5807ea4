/**
 * Text -> display bytes, per model (pure). ASCII 0x20-0x7E is the same everywhere. Above it:
 *   Katakana: JIS X 0201 half-width Katakana, bytes 0xA1-0xDF (U+FF61-U+FF9F). Full-width Katakana
 *             (and Hiragana) are folded to half-width first, voiced marks split: ガ -> ｶﾞ.
 *   Euro:     one byte that differs per model and code page (PC858 0xD5 on Epson, 0xEE on CD5220
 *             units, 0x80 on Logic Controls), so it is part of the model's map and can be overridden.
 * Anything else becomes "?" so text can never act as a command byte.
 */

export interface CharacterMap {
  /** Byte for €, or undefined when the model's table has none. */
  readonly euro: number | undefined;
  /** Whether Katakana bytes 0xA1-0xDF show as Katakana (after the command set selects the table). */
  readonly katakana: boolean;
}

const HALF_WIDTH_KATAKANA_FIRST = 0xff61;
const HALF_WIDTH_KATAKANA_LAST = 0xff9f;

// Full-width Katakana U+30A1.. -> half-width, in Unicode order (ァ ア ィ イ ...). "" = no half-width form.
const FULL_TO_HALF =
  "ｧｱｨｲｩｳｪｴｫｵｶｶﾞｷｷﾞｸｸﾞｹｹﾞｺｺﾞｻｻﾞｼｼﾞｽｽﾞｾｾﾞｿｿﾞﾀﾀﾞﾁﾁﾞｯﾂﾂﾞﾃﾃﾞﾄﾄﾞﾅﾆﾇﾈﾉﾊﾊﾞﾊﾟﾋﾋﾞﾋﾟﾌﾌﾞﾌﾟﾍﾍﾞﾍﾟﾎﾎﾞﾎﾟﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜﾜｲｴｦﾝｳﾞ";

/** Splits FULL_TO_HALF into one entry per full-width code point (a voiced one is 2 half-width chars). */
const FULL_WIDTH_TABLE: ReadonlyMap<number, string> = (() => {
  const table = new Map<number, string>();
  let code = 0x30a1; // ァ
  for (let index = 0; index < FULL_TO_HALF.length && code <= 0x30f4; code++) {
    const next = FULL_TO_HALF[index + 1];
    const voiced = next === "ﾞ" || next === "ﾟ";
    table.set(code, FULL_TO_HALF.slice(index, index + (voiced ? 2 : 1)));
    index += voiced ? 2 : 1;
  }
  table.set(0x30fc, "ｰ"); // ー
  table.set(0x3002, "｡"); // 。
  table.set(0x300c, "｢"); // 「
  table.set(0x300d, "｣"); // 」
  table.set(0x3001, "､"); // 、
  table.set(0x30fb, "･"); // ・
  table.set(0x3000, " "); // ideographic space
  return table;
})();

/** Full-width Katakana/Hiragana and the full-width ASCII block to their half-width forms. */
export function toHalfWidth(text: string): string {
  let out = "";
  for (const character of text) {
    let code = character.codePointAt(0)!;
    if (code >= 0xff01 && code <= 0xff5e) {
      out += String.fromCharCode(code - 0xfee0); // full-width ASCII
      continue;
    }
    if (code >= 0x3041 && code <= 0x3094) code += 0x60; // Hiragana -> Katakana
    out += FULL_WIDTH_TABLE.get(code) ?? character;
  }
  return out;
}

/** One byte per character (call toHalfWidth first; the framebuffer holds half-width text). */
export function encodeDisplayText(text: string, map: CharacterMap): Buffer {
  const bytes = Buffer.alloc(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x20 && code <= 0x7e) bytes[index] = code;
    else if (map.katakana && code >= HALF_WIDTH_KATAKANA_FIRST && code <= HALF_WIDTH_KATAKANA_LAST) bytes[index] = 0xa1 + (code - HALF_WIDTH_KATAKANA_FIRST);
    else if (code === 0x20ac && map.euro !== undefined) bytes[index] = map.euro;
    else bytes[index] = 0x3f;
  }
  return bytes;
}
