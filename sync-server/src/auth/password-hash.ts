/**
 * Register passwords: scrypt with a per-row random salt, stored as
 *   scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>
 * so the cost can be raised later without breaking old rows.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

const SCRYPT_COST_N = 16_384;
const SCRYPT_BLOCK_SIZE_R = 8;
const SCRYPT_PARALLELISM_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * `costN` is scrypt's N (a power of two). Every enrolment uses the default; only `npm run
 * bench:connections` passes a small one, to seed 20,000 registers in seconds.
 */
export async function hashPassword(password: string, costN: number = SCRYPT_COST_N): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(password, salt, HASH_BYTES, { N: costN, r: SCRYPT_BLOCK_SIZE_R, p: SCRYPT_PARALLELISM_P });
  return ["scrypt", costN, SCRYPT_BLOCK_SIZE_R, SCRYPT_PARALLELISM_P, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

/** False for a wrong password and for a stored hash it cannot read. Compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((value) => Number.isSafeInteger(value) && value > 0)) return false;
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const expected = Buffer.from(parts[5] ?? "", "base64url");
  if (expected.length === 0) return false;
  const actual = await scryptAsync(password, salt, expected.length, { N: n, r, p, maxmem: 256 * n * r });
  return timingSafeEqual(actual, expected);
}

/** A new register password: 24 random bytes, base64url (32 characters). */
export function newPassword(): string {
  return randomBytes(24).toString("base64url");
}
