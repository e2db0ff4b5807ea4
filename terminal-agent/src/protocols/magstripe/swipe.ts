/**
 * A serial magnetic stripe reader's swipe, from bytes to a checked card. Pure.
 *
 * Assembly: readers frame a swipe in several ways, configurable and all optional: STX (02) ... ETX (03),
 * a prefix and a suffix string, and CR / LF / CR LF between tracks. A swipe is complete at ETX or
 * when the line has been quiet for the inter-byte timeout (the driver owns the timer and calls
 * `endSwipe`). Past cardSwipeBytesMax bytes the swipe is dropped (and reported), never grown.
 *
 * Parsing (ISO/IEC 7813):
 *   Track 1 format B: %B<PAN 12-19>^<NAME 2-26>^<YYMM><service code 3><discretionary>?
 *   Track 2:          ;<PAN 12-19>=<YYMM><service code 3><discretionary>?
 * A track the reader could not read arrives as `E` (or %E? / ;E?). Checks: format code B, Luhn on
 * the PAN (ISO/IEC 7812-1), PAN and expiry equal across tracks.
 * PCI DSS: the PAN leaves this module only to the driver, which hashes and masks it at once; errors
 * and descriptions never hold track data.
 */
import { luhnValid, maskPan } from "@codepay/contract";
import { cardSwipeBytesMax } from "../../core/limits.js";

export interface SwipeFraming {
  /** Strip this many characters' worth of configured prefix/suffix (e.g. a reader set to send "MSR:"). */
  readonly prefix?: string | undefined;
  readonly suffix?: string | undefined;
}

export interface SwipeAssembly {
  readonly bytes: readonly number[];
  /** STX seen: the swipe ends at ETX. */
  readonly framed: boolean;
  readonly overflowed: boolean;
}

export const emptyAssembly: SwipeAssembly = { bytes: [], framed: false, overflowed: false };

const STX = 0x02;
const ETX = 0x03;

export type AssemblyOutput = { readonly kind: "swipe"; readonly text: string } | { readonly kind: "tooLong" };

/** Adds bytes; returns swipes ended by ETX. Bytes without STX/ETX wait for endSwipe (the timeout). */
export function pushSwipeBytes(state: SwipeAssembly, chunk: Uint8Array): { state: SwipeAssembly; outputs: AssemblyOutput[] } {
  let current = state;
  const outputs: AssemblyOutput[] = [];
  for (const byte of chunk) {
    if (byte === STX) {
      if (current.bytes.length > 0 || current.overflowed) outputs.push(...finish(current)); // an unframed tail before it
      current = { bytes: [], framed: true, overflowed: false };
      continue;
    }
    if (byte === ETX && current.framed) {
      outputs.push(...finish(current));
      current = emptyAssembly;
      continue;
    }
    if (current.overflowed) continue;
    if (current.bytes.length >= cardSwipeBytesMax) {
      current = { ...current, bytes: [], overflowed: true };
      continue;
    }
    current = { ...current, bytes: [...current.bytes, byte] };
  }
  return { state: current, outputs };
}

/** The line went quiet: whatever was assembled is one swipe. */
export function endSwipe(state: SwipeAssembly): AssemblyOutput[] {
  return finish(state);
}

function finish(state: SwipeAssembly): AssemblyOutput[] {
  if (state.overflowed) return [{ kind: "tooLong" }];
  if (state.bytes.length === 0) return [];
  return [{ kind: "swipe", text: String.fromCharCode(...state.bytes) }];
}

/** Splits an assembled swipe into track lines, without the configured prefix/suffix. */
export function splitTracks(text: string, framing: SwipeFraming = {}): string[] {
  let body = text;
  if (framing.prefix && body.startsWith(framing.prefix)) body = body.slice(framing.prefix.length);
  const trimmedEnd = body.replace(/[\r\n]+$/, "");
  if (framing.suffix && trimmedEnd.endsWith(framing.suffix)) body = trimmedEnd.slice(0, -framing.suffix.length);
  return body
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export const CARD_ERROR_CODES = [
  "CARD_UNREADABLE", // the reader reported a bad read (E) on every track
  "CARD_TRACK_FORMAT", // a track with a wrong sentinel, format code or field layout
  "CARD_LUHN", // the PAN fails the Luhn check
  "CARD_TRACKS_DISAGREE", // track 1 and track 2 name different PANs or expiries
  "CARD_SWIPE_TOO_LONG", // more than cardSwipeBytesMax bytes: noise, resynced
  "CARD_NO_TRACK", // bytes that held no track at all (noise)
  "CARD_KEY_MISSING", // a good swipe, but the agent has no cardKey: card payments are off
  "CARD_NOT_ARMED", // a good swipe with no card payment waiting for it
] as const;
export type CardErrorCode = (typeof CARD_ERROR_CODES)[number];

/** The one value holding a PAN: the driver hashes and masks it, then lets it go. */
export interface CheckedCard {
  readonly pan: string;
  /** YYMM */
  readonly expiry: string;
}

export type SwipeResult = { readonly ok: true; readonly card: CheckedCard } | { readonly ok: false; readonly code: CardErrorCode; readonly message: string };

type TrackResult = { kind: "card"; track: 1 | 2; pan: string; expiry: string } | { kind: "unreadable" } | { kind: "bad"; code: CardErrorCode; message: string };

const TRACK1 = /^%B(\d{12,19})\^([^^]{2,26})\^(\d{4})(\d{3})([^?]*)\?.?$/;
const TRACK2 = /^;(\d{12,19})=(\d{4})(\d{3})([^?]*)\?.?$/;

function parseTrack(line: string): TrackResult {
  if (line === "E" || line === "%E?" || line === ";E?" || line === "%E" || line === ";E") return { kind: "unreadable" };
  if (line.startsWith("%")) {
    if (line.length > 79) return { kind: "bad", code: "CARD_TRACK_FORMAT", message: "track 1 longer than 79 characters" };
    if (line[1] !== "B") return { kind: "bad", code: "CARD_TRACK_FORMAT", message: "track 1 format code is not B" };
    const match = TRACK1.exec(line);
    if (!match) return { kind: "bad", code: "CARD_TRACK_FORMAT", message: "track 1 fields do not match format B" };
    return { kind: "card", track: 1, pan: match[1]!, expiry: match[3]! };
  }
  if (line.startsWith(";")) {
    if (line.length > 40) return { kind: "bad", code: "CARD_TRACK_FORMAT", message: "track 2 longer than 40 characters" };
    const match = TRACK2.exec(line);
    if (!match) return { kind: "bad", code: "CARD_TRACK_FORMAT", message: "track 2 fields do not match" };
    return { kind: "card", track: 2, pan: match[1]!, expiry: match[2]! };
  }
  return { kind: "bad", code: "CARD_TRACK_FORMAT", message: "a track without a start sentinel (% or ;)" };
}

/** Checks one assembled swipe. Never throws; messages never hold track data. */
export function checkSwipe(text: string, framing: SwipeFraming = {}): SwipeResult {
  const lines = splitTracks(text, framing);
  if (lines.length === 0) return { ok: false, code: "CARD_NO_TRACK", message: "the swipe held no track" };
  if (lines.length > 3) return { ok: false, code: "CARD_TRACK_FORMAT", message: `the swipe held ${lines.length} lines; a card has at most 3 tracks` };
  const tracks = lines.map(parseTrack);
  const bad = tracks.find((track): track is Extract<TrackResult, { kind: "bad" }> => track.kind === "bad");
  if (bad) return { ok: false, code: bad.code, message: bad.message };
  const cards = tracks.filter((track): track is Extract<TrackResult, { kind: "card" }> => track.kind === "card");
  if (cards.length === 0) return { ok: false, code: "CARD_UNREADABLE", message: "the reader could not read the card; swipe again" };
  const first = cards[0]!;
  if (cards.some((card) => card.pan !== first.pan)) return { ok: false, code: "CARD_TRACKS_DISAGREE", message: "the tracks name different card numbers" };
  if (cards.some((card) => card.expiry !== first.expiry)) return { ok: false, code: "CARD_TRACKS_DISAGREE", message: "the tracks name different expiry dates" };
  if (!luhnValid(first.pan)) return { ok: false, code: "CARD_LUHN", message: "the card number fails the Luhn check" };
  return { ok: true, card: { pan: first.pan, expiry: first.expiry } };
}

// Luhn and masking are the contract's: one definition for the agent and the server.
export { luhnValid, maskPan };
