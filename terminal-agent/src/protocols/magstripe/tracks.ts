/**
 * One magnetic-stripe track, from the characters between its sentinels to typed fields. Pure.
 *
 * ISO/IEC 7811-2 character sets: track 1 is 6-bit alphanumeric (0x20-0x5F: space, digits, upper-case
 * letters and some symbols; no lower case), tracks 2 and 3 are 4-bit numeric (0x30-0x3F).
 * ISO/IEC 7813 financial layouts (lengths include both sentinels and the LRC, which readers do not send):
 *   Track 1 format B, at most 79: %B<PAN 12-19>^<NAME 2-26>^<YYMM><service code 3><discretionary>?
 *   Track 2, at most 40:          ;<PAN 12-19>=<YYMM><service code 3><discretionary>?
 * The name field is SURNAME/GIVEN NAME.TITLE (the given name and title optional), padded with spaces.
 * A reader that could not read a track sends `E` between its sentinels (%E? ;E? +E?).
 * PCI DSS: messages never hold track characters; only the driver sees the PAN.
 */

export type CardTrackNumber = 1 | 2;

/** The cardholder's name as encoded on track 1, trimmed. */
export interface CardholderName {
  readonly surname: string;
  readonly given?: string | undefined;
  readonly title?: string | undefined;
}

export type TrackReading =
  | { readonly kind: "card"; readonly track: CardTrackNumber; readonly pan: string; readonly expiry: string; readonly holder?: CardholderName | undefined }
  /** The reader reported a read error on this track (`E`). */
  | { readonly kind: "unreadable"; readonly track: CardTrackNumber }
  /** Characters the track cannot hold, or a layout that is not ISO/IEC 7813. */
  | { readonly kind: "bad"; readonly track: CardTrackNumber; readonly message: string };

/** Longest track text, sentinels included, LRC not sent (ISO/IEC 7813: 79 and 40 with the LRC). */
export const TRACK1_CHARACTERS_MAX = 79;
export const TRACK2_CHARACTERS_MAX = 40;

const TRACK1_BODY = /^B(\d{12,19})\^([^^]{2,26})\^(\d{4})(\d{3})([^^]*)$/;
const TRACK2_BODY = /^(\d{12,19})=(\d{4})(\d{3})(\d*)$/;

function inRange(text: string, low: number, high: number): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < low || code > high) return false;
  }
  return true;
}

/** Track 1: `body` is what lies between `%` and `?`. */
export function readTrack1(body: string): TrackReading {
  if (body === "E") return { kind: "unreadable", track: 1 };
  if (!inRange(body, 0x20, 0x5f)) return { kind: "bad", track: 1, message: "track 1 holds characters outside its 6-bit set" };
  if (body.length + 2 > TRACK1_CHARACTERS_MAX) return { kind: "bad", track: 1, message: `track 1 longer than ${TRACK1_CHARACTERS_MAX} characters` };
  if (body[0] !== "B") return { kind: "bad", track: 1, message: "track 1 format code is not B" };
  const match = TRACK1_BODY.exec(body);
  if (!match) return { kind: "bad", track: 1, message: "track 1 fields do not match format B" };
  const holder = parseCardholderName(match[2]!);
  return { kind: "card", track: 1, pan: match[1]!, expiry: match[3]!, ...(holder !== undefined ? { holder } : {}) };
}

/** Track 2: `body` is what lies between `;` and `?`. */
export function readTrack2(body: string): TrackReading {
  if (body === "E") return { kind: "unreadable", track: 2 };
  if (!inRange(body, 0x30, 0x3f)) return { kind: "bad", track: 2, message: "track 2 holds characters outside its 4-bit set" };
  if (body.length + 2 > TRACK2_CHARACTERS_MAX) return { kind: "bad", track: 2, message: `track 2 longer than ${TRACK2_CHARACTERS_MAX} characters` };
  const match = TRACK2_BODY.exec(body);
  if (!match) return { kind: "bad", track: 2, message: "track 2 fields do not match" };
  return { kind: "card", track: 2, pan: match[1]!, expiry: match[2]! };
}

/**
 * `SURNAME/GIVEN.TITLE`, padded with spaces to 26 (ISO/IEC 7813 name field). A name without `/`
 * is taken as a surname; a field of spaces (or a generic "/") gives no name.
 */
export function parseCardholderName(field: string): CardholderName | undefined {
  const slash = field.indexOf("/");
  const surname = (slash < 0 ? field : field.slice(0, slash)).trim();
  const rest = slash < 0 ? "" : field.slice(slash + 1);
  const dot = rest.indexOf(".");
  const given = (dot < 0 ? rest : rest.slice(0, dot)).trim();
  const title = (dot < 0 ? "" : rest.slice(dot + 1)).trim();
  if (surname === "" && given === "") return undefined;
  return { surname, ...(given !== "" ? { given } : {}), ...(title !== "" ? { title } : {}) };
}

/** "JANE DOE" -> "Jane Doe" for a greeting: given name first, each word capitalised; no title. */
export function greetingName(holder: CardholderName): string {
  const words = [holder.given ?? "", holder.surname].join(" ").split(/\s+/).filter(Boolean);
  return words.map((word) => word.charAt(0) + word.slice(1).toLowerCase()).join(" ");
}
