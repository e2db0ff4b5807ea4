/**
 * JSON.parse keeps the last of two equal keys in an object (`{"amount":1,"amount":9}` is 9), so two
 * readers of one body could disagree on what it says. Every JSON the contract takes, on the register
 * line and from phones, is refused when an object names a key twice (RFC 8259 §4: names SHOULD be
 * unique; I-JSON, RFC 7493 §2.3: MUST).
 *
 * Runs over text that JSON.parse has already accepted, so it only tracks structure: where keys stand,
 * and the keys of each open object. One pass, no allocation for keys without escapes beyond the slice.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** The first key an object of `text` (valid JSON) names twice, or undefined. */
export function duplicateJsonKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectingKey = false;
  for (let at = 0; at < text.length; at += 1) {
    const char = text.charCodeAt(at);
    if (char === QUOTE) {
      const start = at;
      let escaped = false;
      at += 1;
      while (text.charCodeAt(at) !== QUOTE) {
        if (text.charCodeAt(at) === BACKSLASH) {
          escaped = true;
          at += 1;
        }
        at += 1;
      }
      if (expectingKey) {
        const raw = text.slice(start + 1, at);
        const key = escaped ? (JSON.parse(text.slice(start, at + 1)) as string) : raw;
        const keys = open[open.length - 1] as Set<string>; // expectingKey only inside an object
        if (keys.has(key)) return key;
        keys.add(key);
        expectingKey = false;
      }
    } else if (char === OPEN_OBJECT) {
      open.push(new Set());
      expectingKey = true;
    } else if (char === OPEN_ARRAY) {
      open.push(null);
      expectingKey = false;
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      open.pop();
      expectingKey = false;
    } else if (char === COMMA) {
      expectingKey = open[open.length - 1] instanceof Set;
    } else if (char === COLON) {
      expectingKey = false;
    }
  }
  return undefined;
}
