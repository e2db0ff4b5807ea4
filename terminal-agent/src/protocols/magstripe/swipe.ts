/**
 * A serial magnetic stripe reader's swipe, from the characters of one burst to a checked card. Pure.
 *
 * What readers send (MagTek and ID TECH serial manuals, ISO/IEC 7811/7813), every part optional:
 *   [STX] [prefix] [ESC] %<track 1>? [CR [LF]] ;<track 2>? [CR [LF]] [+<track 3>?] [sensor] [suffix] [CR] [ETX [LRC]]
 * so tracks come concatenated (`%…?;…?` then one CR: the MagTek and ID TECH defaults), or one per
 * line (CR or CR LF), or inside STX…ETX with a block check (LRC) byte after ETX.
 * Parsing finds the tracks by their sentinels (% track 1, ; track 2, + track 3) and ignores what lies
 * outside them: a leading ESC (or an ANSI ESC [ … sequence), NUL or 0xFF line noise, a trailing
 * card-sensor character, CR/LF. The configured prefix and suffix are removed first (they may hold
 * sentinel characters). Track 3 is never used and never an error.
 * A swipe is usable with one good financial track that carries the PAN and expiry: track 2, or
 * track 1 when track 2 failed; when both are good they must agree. Checks: format code B, the
 * character sets, Luhn on the PAN (ISO/IEC 7812-1).
 * PCI DSS: the PAN leaves this module only to the driver, which hashes and masks it at once; errors
 * never hold track data.
 */
import { luhnValid, maskPan } from "@codepay/contract";
import type { ErrorCode } from "@codepay/contract";
import { cardSwipeBytesMax } from "../../core/limits.js";
import { readTrack1, readTrack2 } from "./tracks.js";
import type { CardholderName, TrackReading } from "./tracks.js";

export { greetingName, parseCardholderName } from "./tracks.js";
export type { CardholderName } from "./tracks.js";

export interface SwipeFraming {
  /** Characters the installer set the reader to send before / after each swipe, removed before parsing. */
  readonly prefix?: string | undefined;
  readonly suffix?: string | undefined;
  /** The reader sends a block check byte after ETX: XOR of every byte after STX up to and including ETX. */
  readonly lrc?: boolean | undefined;
}

export const CARD_ERROR_CODES = [
  "CARD_UNREADABLE", // the reader reported a read error (E) and no financial track is usable
  "CARD_TRACK_FORMAT", // a track with a wrong format code, character or field layout, and no usable track
  "CARD_LUHN", // the PAN fails the Luhn check
  "CARD_TRACKS_DISAGREE", // track 1 and track 2 name different PANs or expiries
  "CARD_SWIPE_TOO_LONG", // more than cardSwipeBytesMax bytes: noise, resynced
  "CARD_NO_TRACK", // bytes that held no track at all (noise)
  "CARD_KEY_MISSING", // a good swipe, but the agent has no cardKey: card payments are off
  "CARD_NOT_ARMED", // a good swipe with no card payment waiting for it
  "CARD_LRC_MISMATCH", // STX…ETX framing with an LRC configured: the check byte is missing or wrong
] as const satisfies readonly ErrorCode[]; // each has words for people in the contract's ERROR_WORDS
export type CardErrorCode = (typeof CARD_ERROR_CODES)[number];

/** The one value holding a PAN: the driver hashes and masks it, then lets it go. */
export interface CheckedCard {
  readonly pan: string;
  /** YYMM */
  readonly expiry: string;
  /** From track 1 when it was read well; for a greeting on the receipt only, never logged. */
  readonly holder?: CardholderName | undefined;
}

export type SwipeResult =
  | { readonly ok: true; readonly card: CheckedCard }
  /** `noise`: nothing a person swiped (line noise, a lone track 3, a stray suffix): the driver stays quiet. */
  | { readonly ok: false; readonly code: CardErrorCode; readonly message: string; readonly noise?: true };

const STX = "\x02";
const ETX = "\x03";
const ESC = "\x1b";

function fail(code: CardErrorCode, message: string): SwipeResult {
  return { ok: false, code, message };
}

/** Checks one assembled swipe. Never throws; messages never hold track data. */
export function checkSwipe(text: string, framing: SwipeFraming = {}): SwipeResult {
  const unframed = unframe(text, framing.lrc === true);
  if (typeof unframed !== "string") return unframed;
  const { tracks, leftover } = findTracks(withoutPrefixAndSuffix(unframed, framing));
  const track1 = tracks.find((track) => track.track === 1);
  const track2 = tracks.find((track) => track.track === 2);
  const financial = [track1, track2].filter((reading): reading is TrackReading => reading !== undefined);
  if (financial.length === 0) {
    if (/^E+$/.test(leftover)) return fail("CARD_UNREADABLE", "the reader could not read the card; swipe again");
    if (leftover === "") return { ok: false, code: "CARD_NO_TRACK", message: "no financial track (noise or track 3 only)", noise: true };
    return fail("CARD_NO_TRACK", "the swipe held no track");
  }
  const cards = financial.filter((reading): reading is Extract<TrackReading, { kind: "card" }> => reading.kind === "card");
  if (cards.length === 0) {
    if (financial.some((reading) => reading.kind === "unreadable")) return fail("CARD_UNREADABLE", "the reader could not read the card; swipe again");
    const bad = financial.find((reading): reading is Extract<TrackReading, { kind: "bad" }> => reading.kind === "bad");
    return fail("CARD_TRACK_FORMAT", bad?.message ?? "no usable track");
  }
  const [first, second] = cards;
  if (second !== undefined && second.pan !== first!.pan) return fail("CARD_TRACKS_DISAGREE", "the tracks name different card numbers");
  if (second !== undefined && second.expiry !== first!.expiry) return fail("CARD_TRACKS_DISAGREE", "the tracks name different expiry dates");
  const chosen = cards.find((card) => card.track === 2) ?? first!;
  if (!luhnValid(chosen.pan)) return fail("CARD_LUHN", "the card number fails the Luhn check");
  const holder = cards.find((card) => card.track === 1)?.holder;
  return { ok: true, card: { pan: chosen.pan, expiry: chosen.expiry, ...(holder !== undefined ? { holder } : {}) } };
}

/** The text inside STX…ETX (checking the LRC when configured), or the whole text when it has no STX. */
function unframe(text: string, lrc: boolean): string | SwipeResult {
  const start = text.indexOf(STX);
  if (start < 0) return lrc ? fail("CARD_LRC_MISMATCH", "no STX…ETX frame, but the reader is set to send an LRC") : text;
  const end = text.indexOf(ETX, start + 1);
  if (!lrc) return text.slice(start + 1, end < 0 ? undefined : end);
  if (end < 0 || end + 1 >= text.length) return fail("CARD_LRC_MISMATCH", "the frame ended before its LRC byte");
  if (blockCheck(text.slice(start + 1, end + 1)) !== text.charCodeAt(end + 1)) return fail("CARD_LRC_MISMATCH", "the frame's LRC byte does not match its contents");
  return text.slice(start + 1, end);
}

/** XOR of the bytes (a latin1 string): the LRC readers send after ETX. */
export function blockCheck(bytes: string): number {
  let check = 0;
  for (let index = 0; index < bytes.length; index++) check ^= bytes.charCodeAt(index) & 0xff;
  return check;
}

const START_SENTINELS = /[%;+]/;

/** The prefix when nothing but noise precedes it; the suffix when no end sentinel follows it. */
function withoutPrefixAndSuffix(text: string, framing: SwipeFraming): string {
  let body = text;
  const { prefix, suffix } = framing;
  if (prefix) {
    const at = body.indexOf(prefix);
    if (at >= 0 && !START_SENTINELS.test(body.slice(0, at))) body = body.slice(0, at) + body.slice(at + prefix.length);
  }
  if (suffix) {
    const at = body.lastIndexOf(suffix);
    if (at >= 0 && !body.slice(at + suffix.length).includes("?")) body = body.slice(0, at) + body.slice(at + suffix.length);
  }
  return body;
}

interface FoundTracks {
  /** Track 1 and track 2 readings, first of each; track 3 is skipped. */
  readonly tracks: TrackReading[];
  /** Visible characters outside every track (noise, a sensor character, a bare `E`). */
  readonly leftover: string;
}

/** A track without its end sentinel stops at a line or frame break. */
const TRACK_BREAKS = new Set(["\r", "\n", STX, ETX]);

function findTracks(text: string): FoundTracks {
  const tracks: TrackReading[] = [];
  let leftover = "";
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === ESC) {
      index = afterEscape(text, index);
      continue;
    }
    if (char !== "%" && char !== ";" && char !== "+") {
      if (char > " " && char < "\x7f") leftover += char;
      index++;
      continue;
    }
    let end = index + 1;
    while (end < text.length && text[end] !== "?" && !TRACK_BREAKS.has(text[end]!)) end++;
    const terminated = text[end] === "?";
    const body = text.slice(index + 1, end);
    index = terminated ? end + 1 : end;
    const number = char === "%" ? 1 : char === ";" && !tracks.some((track) => track.track === 2) ? 2 : 3; // ISO track 3 may also start with ';'
    if (number === 3 || tracks.some((track) => track.track === number)) continue;
    if (!terminated) tracks.push({ kind: "bad", track: number, message: `track ${number} has no end sentinel` });
    else tracks.push(number === 1 ? readTrack1(body) : readTrack2(body));
  }
  return { tracks, leftover };
}

/** Skips ESC, or a whole ANSI control sequence ESC [ params final (ECMA-48 CSI). MagTek sends a lone ESC before track 1. */
function afterEscape(text: string, at: number): number {
  if (text[at + 1] !== "[") return at + 1;
  let index = at + 2;
  while (index < text.length && text.charCodeAt(index) >= 0x20 && text.charCodeAt(index) <= 0x3f) index++;
  if (index < text.length && text.charCodeAt(index) >= 0x40 && text.charCodeAt(index) <= 0x7e) index++;
  return index;
}

// --- assembly: one burst of bytes -> one swipe ------------------------------------------------

export interface SwipeAssembly {
  /** The swipe so far, one char per byte (latin1). */
  readonly text: string;
  /** STX seen: the swipe ends at ETX (and its LRC byte when configured). */
  readonly framed: boolean;
  /** ETX seen with an LRC configured: the next byte ends the swipe. */
  readonly awaitingCheck: boolean;
  readonly overflowed: boolean;
}

export const emptyAssembly: SwipeAssembly = { text: "", framed: false, awaitingCheck: false, overflowed: false };

export type AssemblyOutput = { readonly kind: "swipe"; readonly text: string } | { readonly kind: "tooLong" };

/**
 * Adds characters. A swipe ends at ETX (+ LRC) when framed, at the end of a line (`lineEnded`: the
 * reader's terminator came last) once it holds track 2, or when the line goes quiet (`endSwipe`,
 * driven by the driver's inter-byte timer). Past cardSwipeBytesMax the swipe is dropped, never grown.
 */
export function pushSwipeText(state: SwipeAssembly, chunk: string, framing: SwipeFraming = {}, lineEnded = false): { state: SwipeAssembly; outputs: AssemblyOutput[] } {
  let current = state;
  const outputs: AssemblyOutput[] = [];
  const finishWith = (text: string): void => {
    outputs.push(...finish({ ...current, text }));
    current = emptyAssembly;
  };
  for (const char of chunk) {
    if (current.awaitingCheck) {
      finishWith(current.text + char);
      continue;
    }
    if (char === STX && !current.overflowed) {
      if (current.text.length > 0) outputs.push(...finish(current)); // an unframed or truncated swipe before it
      current = { text: STX, framed: true, awaitingCheck: false, overflowed: false };
      continue;
    }
    if (char === ETX && current.framed && !current.overflowed) {
      if (framing.lrc === true) current = { ...current, text: current.text + char, awaitingCheck: true };
      else finishWith(current.text + char);
      continue;
    }
    if (current.overflowed) continue;
    if (current.text.length >= cardSwipeBytesMax) {
      current = { ...current, text: "", overflowed: true };
      continue;
    }
    current = { ...current, text: current.text + char };
  }
  if (lineEnded && !current.framed && !current.overflowed && holdsTrack2(current.text, framing)) {
    outputs.push(...finish(current));
    current = emptyAssembly;
  }
  return { state: current, outputs };
}

/** Bytes (as the transport gives them) into the assembly; for readers fed without a line framer. */
export function pushSwipeBytes(state: SwipeAssembly, chunk: Uint8Array, framing: SwipeFraming = {}): { state: SwipeAssembly; outputs: AssemblyOutput[] } {
  return pushSwipeText(state, Buffer.from(chunk).toString("latin1"), framing);
}

function holdsTrack2(text: string, framing: SwipeFraming): boolean {
  return findTracks(withoutPrefixAndSuffix(text, framing)).tracks.some((track) => track.track === 2);
}

/** The line went quiet: whatever was assembled is one swipe. */
export function endSwipe(state: SwipeAssembly): AssemblyOutput[] {
  return finish(state);
}

function finish(state: SwipeAssembly): AssemblyOutput[] {
  if (state.overflowed) return [{ kind: "tooLong" }];
  if (state.text.length === 0) return [];
  return [{ kind: "swipe", text: state.text }];
}

// Luhn and masking are the contract's: one definition for the agent and the server.
export { luhnValid, maskPan };
