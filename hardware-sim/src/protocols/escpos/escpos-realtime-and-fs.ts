/** DLE real-time commands (10 xx) and FS commands (1C xx), from the Epson ESC/POS command reference. */
import { command, ignored, lengthPrefixed, needMore, unknown, type Step } from "./escpos-parse-helpers.js";

/** DLE EOT n (status request), DLE ENQ n (recovery request), DLE DC4 fn ... (real-time requests). */
export function parseDleCommand(bytes: Buffer): Step {
  if (bytes.length < 2) return needMore;
  const code = bytes[1]!;
  if (code === 0x04) {
    if (bytes.length < 3) return needMore;
    const statusType = bytes[2]!;
    if (statusType >= 1 && statusType <= 4) return command(3, { type: "statusRequest", statusType }); // DLE EOT n
    if (statusType === 7 || statusType === 8) return bytes.length < 4 ? needMore : ignored(4, "DLE EOT 7/8 ink/paper");
    return unknown(bytes, 3);
  }
  if (code === 0x05) return bytes.length < 3 ? needMore : ignored(3, "DLE ENQ recovery request");
  if (code === 0x14) return parseRealTimeRequest(bytes);
  // A bare DLE (0x10) is not a command: one unknown byte, the next is parsed afresh.
  return unknown(bytes, 1);
}

/** DLE DC4 fn ...: fn 1 pulses the drawer in real time (DLE DC4 1 m t), fn 2 powers off, fn 8 clears buffers. */
function parseRealTimeRequest(bytes: Buffer): Step {
  if (bytes.length < 3) return needMore;
  const fn = bytes[2]!;
  if (fn === 1) {
    if (bytes.length < 5) return needMore;
    const pin = bytes[3] === 0 ? 2 : 5;
    const pulseMs = bytes[4]! * 100;
    return command(5, { type: "drawerKick", pin, onTimeMs: pulseMs, offTimeMs: pulseMs });
  }
  if (fn === 2) return bytes.length < 5 ? needMore : ignored(5, "DLE DC4 2 power off");
  if (fn === 8) return bytes.length < 10 ? needMore : ignored(10, "DLE DC4 8 clear buffers");
  return unknown(bytes, 3);
}

/**
 * FS commands: kanji mode and code system (the receipt model decodes kanji with them), kanji
 * settings and NV images (skipped by length).
 *   FS &    1C 26    kanji mode on
 *   FS .    1C 2E    kanji mode off
 *   FS C n  1C 43 n  kanji code system: n = 0/48 JIS, 1/49 Shift_JIS
 */
export function parseFsCommand(bytes: Buffer): Step {
  if (bytes.length < 2) return needMore;
  const code = bytes[1]!;
  if (code === 0x26) return command(2, { type: "kanjiMode", on: true });
  if (code === 0x2e) return command(2, { type: "kanjiMode", on: false });
  if (code === 0x43) return parseKanjiCodeSystem(bytes);
  if (code === 0x28) return lengthPrefixed(bytes, "FS ( function");
  if (code === 0x21 || code === 0x2d || code === 0x57) {
    return bytes.length < 3 ? needMore : ignored(3, "FS Kanji setting");
  }
  if (code === 0x70 || code === 0x53) return bytes.length < 4 ? needMore : ignored(4, "FS p/S");
  return unknown(bytes, 2);
}

function parseKanjiCodeSystem(bytes: Buffer): Step {
  if (bytes.length < 3) return needMore;
  const parameter = bytes[2]!;
  if (parameter === 0 || parameter === 48) return command(3, { type: "kanjiCodeSystem", system: "jis" });
  if (parameter === 1 || parameter === 49) return command(3, { type: "kanjiCodeSystem", system: "shift_jis" });
  return unknown(bytes, 3);
}
