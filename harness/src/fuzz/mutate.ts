/**
 * Input generators for the fuzzer, all from a seeded PRNG so a crash reproduces from its seed:
 * random bytes, random JSON, and mutations of valid samples (byte flips, splices, truncation, and
 * structural edits of JSON: a field dropped, replaced by another type, a huge or hostile value).
 */
import type { Prng } from "../simulation/prng.js";

const HOSTILE_STRINGS = ["", " ", "\u0000", "__proto__", "constructor", "💳", "ｱｲｳ", "A".repeat(70), "9".repeat(400), "%B4111111111111111^X^2912?", "../../etc/passwd", "NaN", "-1", "1e309"];
const HOSTILE_NUMBERS = [0, -0, -1, 1, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2, 1e12, 1e12 + 1, 1e308];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function randomBytes(prng: Prng, lengthMax: number): Buffer {
  const length = prng.int(lengthMax + 1);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = prng.int(256);
  return bytes;
}

export function randomString(prng: Prng, lengthMax = 24): string {
  if (prng.chance(0.3)) return prng.pick(HOSTILE_STRINGS);
  const length = prng.int(lengthMax + 1);
  let text = "";
  for (let i = 0; i < length; i += 1) text += String.fromCharCode(prng.chance(0.9) ? 32 + prng.int(95) : prng.int(0x3000));
  return text;
}

export function randomJson(prng: Prng, depth = 0): Json {
  const kind = prng.int(depth > 3 ? 4 : 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return prng.chance(0.5) ? prng.pick(HOSTILE_NUMBERS) : prng.between(-1000, 100_000);
    case 3:
      return randomString(prng);
    case 4:
    case 5: {
      const object: { [key: string]: Json } = {};
      const keys = prng.int(5);
      for (let i = 0; i < keys; i += 1) object[randomString(prng, 8)] = randomJson(prng, depth + 1);
      return object;
    }
    default:
      return Array.from({ length: prng.int(4) }, () => randomJson(prng, depth + 1));
  }
}

/** A structural edit of a JSON value: the shapes a buggy or hostile peer sends. */
export function mutateJson(prng: Prng, value: Json, depth = 0): Json {
  if (value === null || typeof value !== "object" || depth > 4 || prng.chance(0.15)) {
    const roll = prng.int(6);
    if (roll === 0) return randomJson(prng, depth);
    if (roll === 1 && typeof value === "string") return value + randomString(prng, 4);
    if (roll === 2 && typeof value === "number") return prng.pick(HOSTILE_NUMBERS);
    if (roll === 3 && typeof value === "string") return value.slice(0, prng.int(value.length + 1));
    if (roll === 4) return prng.pick(HOSTILE_STRINGS);
    return value;
  }
  if (Array.isArray(value)) {
    const copy = value.map((item) => (prng.chance(0.5) ? mutateJson(prng, item, depth + 1) : item));
    if (prng.chance(0.2)) copy.push(randomJson(prng, depth + 1));
    if (prng.chance(0.1)) return Array.from({ length: 200 }, () => copy[0] ?? null);
    return copy;
  }
  const copy: { [key: string]: Json } = { ...value };
  const keys = Object.keys(copy);
  const edits = 1 + prng.int(3);
  for (let i = 0; i < edits; i += 1) {
    const roll = prng.int(5);
    const key = keys.length > 0 ? prng.pick(keys) : randomString(prng, 6);
    if (roll === 0) delete copy[key];
    else if (roll === 1) copy[randomString(prng, 8)] = randomJson(prng, depth + 1);
    else copy[key] = mutateJson(prng, copy[key] ?? null, depth + 1);
  }
  return copy;
}

/** Byte-level mutation of a sample: flips, inserts, deletes, splices, truncation, repetition. */
export function mutateBytes(prng: Prng, sample: Buffer, lengthMax = 4096): Buffer {
  let bytes = Buffer.from(sample);
  const edits = 1 + prng.int(6);
  for (let i = 0; i < edits; i += 1) {
    const at = prng.int(bytes.length + 1);
    switch (prng.int(6)) {
      case 0:
        if (bytes.length > 0) {
          const index = Math.min(at, bytes.length - 1);
          bytes[index] = (bytes[index] ?? 0) ^ (1 << prng.int(8));
        }
        break;
      case 1:
        bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(prng, 8), bytes.subarray(at)]);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + prng.int(8)))]);
        break;
      case 3:
        bytes = bytes.subarray(0, at);
        break;
      case 4: {
        const chunk = bytes.subarray(at, at + 1 + prng.int(16));
        bytes = Buffer.concat([bytes.subarray(0, at), chunk, chunk, chunk, bytes.subarray(at)]);
        break;
      }
      default:
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = prng.pick([0x00, 0x02, 0x03, 0x0a, 0x0d, 0x10, 0x1b, 0x1d, 0x1f, 0x7f, 0xff]);
    }
  }
  return bytes.length > lengthMax ? bytes.subarray(0, lengthMax) : bytes;
}

/** Splits bytes into chunks, as a serial line delivers them. */
export function chunked(prng: Prng, bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const size = 1 + prng.int(Math.max(1, Math.min(64, bytes.length - offset)));
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** A JSON payload: mutated sample (most), random JSON, or raw bytes. */
export function jsonPayload(prng: Prng, samples: readonly Json[]): Buffer {
  const roll = prng.next();
  if (roll < 0.65 && samples.length > 0) return Buffer.from(JSON.stringify(mutateJson(prng, prng.pick(samples))), "utf8");
  if (roll < 0.8 && samples.length > 0) return mutateBytes(prng, Buffer.from(JSON.stringify(prng.pick(samples)), "utf8"));
  if (roll < 0.9) return Buffer.from(JSON.stringify(randomJson(prng)), "utf8");
  return randomBytes(prng, 256);
}
