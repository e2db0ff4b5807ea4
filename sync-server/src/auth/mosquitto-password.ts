/**
 * Passwords in mosquitto's password-file form (mosquitto 2.0 `mosquitto_passwd`):
 *   `$7$<iterations>$<salt base64>$<PBKDF2-SHA512(password, salt, iterations, 64 bytes) base64>`
 * with a 12-byte salt. Register passwords are 24 random bytes (192 bits), so the iteration count
 * guards nothing a brute force could reach; mosquitto's own default (101) keeps a reconnect storm of
 * thousands of registers cheap for the broker.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";

const MOSQUITTO_PBKDF2_ITERATIONS = 101;
const MOSQUITTO_SALT_BYTES = 12;
const MOSQUITTO_HASH_BYTES = 64;

function pbkdf2Async(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, MOSQUITTO_HASH_BYTES, "sha512", (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function mosquittoPasswordHash(password: string, salt: Buffer = randomBytes(MOSQUITTO_SALT_BYTES)): Promise<string> {
  const hash = await pbkdf2Async(password, salt, MOSQUITTO_PBKDF2_ITERATIONS);
  return ["", "7", MOSQUITTO_PBKDF2_ITERATIONS, salt.toString("base64"), hash.toString("base64")].join("$");
}

/** Checks a password against a `$7$` line's hash (what the broker does); false for anything unreadable. */
export async function verifyMosquittoPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 5 || parts[0] !== "" || parts[1] !== "7") return false;
  const iterations = Number(parts[2]);
  if (!Number.isSafeInteger(iterations) || iterations <= 0 || iterations > 10_000_000) return false;
  const expected = Buffer.from(parts[4] ?? "", "base64");
  if (expected.length !== MOSQUITTO_HASH_BYTES) return false;
  const actual = await pbkdf2Async(password, Buffer.from(parts[3] ?? "", "base64"), iterations);
  return timingSafeEqual(actual, expected);
}
