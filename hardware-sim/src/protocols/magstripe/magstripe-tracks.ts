/**
 * ISO/IEC 7813 track data as a serial magnetic stripe reader sends it:
 *   Track 1 (format B): %B<PAN>^<NAME>^<YYMM><service code><discretionary>?
 *   Track 2:            ;<PAN>=<YYMM><service code><discretionary>?
 * each followed by CR LF. A track the head could not read arrives as %E? / ;E?.
 * PCI DSS: a PAN leaves this module only masked (first 6 / last 4).
 */
import type { TestCard } from "./test-cards.js";

const LINE_END = "\r\n";
const TRACK1_MAX_CHARS = 79; // ISO/IEC 7813
const TRACK2_MAX_CHARS = 40;

export function track1(card: TestCard): string {
  return `%B${card.pan}^${card.name}^${card.expiry}${card.serviceCode}${card.discretionary}?`;
}

export function track2(card: TestCard): string {
  return `;${card.pan}=${card.expiry}${card.serviceCode}${card.discretionary}?`;
}

/**
 * How a reader frames a swipe, as the readers' manuals show their factory settings:
 *   crlf          each track then CR LF (this simulator's default)
 *   cr            each track then CR
 *   concatenated  %…?;…? then one CR (MagTek and ID TECH serial defaults)
 *   stx-etx       STX %…?;…? CR ETX
 *   magtek-esc    STX ESC %…?;…? <card sensor "0"> CR ETX (MagTek port-powered readers with every option on)
 */
export const SWIPE_FRAMINGS = ["crlf", "cr", "concatenated", "stx-etx", "magtek-esc"] as const;
export type SwipeFraming = (typeof SWIPE_FRAMINGS)[number];

function frame(tracks: readonly string[], framing: SwipeFraming): Buffer {
  switch (framing) {
    case "crlf": return Buffer.from(tracks.map((track) => track + LINE_END).join(""), "ascii");
    case "cr": return Buffer.from(tracks.map((track) => `${track}\r`).join(""), "ascii");
    case "concatenated": return Buffer.from(`${tracks.join("")}\r`, "ascii");
    case "stx-etx": return Buffer.from(`\x02${tracks.join("")}\r\x03`, "ascii");
    case "magtek-esc": return Buffer.from(`\x02\x1b${tracks.join("")}0\r\x03`, "ascii");
  }
}

/** The bytes of one good swipe: both tracks, framed as the reader is set. */
export function encodeSwipe(card: TestCard, framing: SwipeFraming = "crlf"): Buffer {
  return frame([track1(card), track2(card)], framing);
}

/** The bytes of a bad swipe: the reader reports an error on both tracks. */
export function encodeBadSwipe(framing: SwipeFraming = "crlf"): Buffer {
  return frame(["%E?", ";E?"], framing);
}

/** Luhn (ISO/IEC 7812-1 annex B) over a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d{2,19}$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** First 6 / last 4, the most PCI DSS lets anyone display. */
export function maskPan(pan: string): string {
  if (pan.length <= 10) return "*".repeat(pan.length);
  return pan.slice(0, 6) + "*".repeat(pan.length - 10) + pan.slice(-4);
}

export type ParsedTrack =
  | { readonly kind: "track1"; readonly pan: string; readonly name: string; readonly expiry: string; readonly serviceCode: string }
  | { readonly kind: "track2"; readonly pan: string; readonly expiry: string; readonly serviceCode: string }
  | { readonly kind: "error"; readonly track: 1 | 2 }
  | { readonly kind: "invalid"; readonly reason: string };

const TRACK1 = /^%B(\d{1,19})\^([^^]{2,26})\^(\d{4})(\d{3})([^?]*)\?$/;
const TRACK2 = /^;(\d{1,19})=(\d{4})(\d{3})([^?]*)\?$/;

/** Parses one line (without CR LF) as a reader would send it. Pure; never throws. */
export function parseTrackLine(line: string): ParsedTrack {
  if (line === "%E?") return { kind: "error", track: 1 };
  if (line === ";E?") return { kind: "error", track: 2 };
  if (line.startsWith("%")) {
    if (line.length > TRACK1_MAX_CHARS) return { kind: "invalid", reason: "track 1 too long" };
    const match = TRACK1.exec(line);
    if (match === null) return { kind: "invalid", reason: "track 1 format" };
    return { kind: "track1", pan: match[1]!, name: match[2]!, expiry: match[3]!, serviceCode: match[4]! };
  }
  if (line.startsWith(";")) {
    if (line.length > TRACK2_MAX_CHARS) return { kind: "invalid", reason: "track 2 too long" };
    const match = TRACK2.exec(line);
    if (match === null) return { kind: "invalid", reason: "track 2 format" };
    return { kind: "track2", pan: match[1]!, expiry: match[2]!, serviceCode: match[3]! };
  }
  return { kind: "invalid", reason: "start sentinel" };
}
