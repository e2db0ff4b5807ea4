/**
 * Register passwords (issue 23, SECURITY.md "Register passwords"). A register's password is 24
 * random bytes made by the server (password-hash.ts `newPassword`), like a phone's subscriber
 * credential: there is no dictionary to try, so a slow hash guards nothing and only makes every
 * login cost 50-600 ms of CPU (20,000 registers back after a restart: minutes of both cores).
 * New rows are a keyed hash:
 *   hmac-sha256$<key id>$<HMAC-SHA256(register key, password) base64url>
 * keyed with the deployment's register key (register-key.ts, a file beside the database, not in it),
 * so a leaked database alone does not even let anyone test a guess. The key id (the first 8 bytes of
 * HMAC(key, "codepay register key id"), hex) names the key a row was made with: an instance given
 * another key says so instead of refusing every register without a reason.
 * Rows from before (`scrypt$...`, password-hash.ts) are still accepted; the caller rehashes a row the
 * first time its password is checked right (`rehash: true`), so no register is enrolled again.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { verifyPassword } from "./password-hash.js";

export const REGISTER_HASH_SCHEME = "hmac-sha256";
const KEY_ID_LABEL = "codepay register key id";
const KEY_ID_BYTES = 8;
const HASH_BYTES = 32;

export interface RegisterKey {
  readonly key: Buffer;
  /** Hex; stored in every hash made with this key. */
  readonly id: string;
}

export function registerKeyOf(key: Buffer): RegisterKey {
  return { key, id: createHmac("sha256", key).update(KEY_ID_LABEL, "utf8").digest().subarray(0, KEY_ID_BYTES).toString("hex") };
}

function mac(key: RegisterKey, password: string): Buffer {
  return createHmac("sha256", key.key).update(password, "utf8").digest();
}

export function hashRegisterPassword(key: RegisterKey, password: string): string {
  return [REGISTER_HASH_SCHEME, key.id, mac(key, password).toString("base64url")].join("$");
}

/** A row in the keyed form (anything else is an old scrypt row or unreadable). */
export function isKeyedRegisterHash(stored: string): boolean {
  return stored.startsWith(`${REGISTER_HASH_SCHEME}$`);
}

/** The key id a keyed row names; undefined for scrypt rows and anything unreadable. */
export function registerKeyIdOf(stored: string): string | undefined {
  const parts = stored.split("$");
  return parts.length === 3 && parts[0] === REGISTER_HASH_SCHEME ? parts[1] : undefined;
}

export type RegisterPasswordCheck =
  | { readonly ok: true; /** A scrypt row: store hashRegisterPassword's form now. */ readonly rehash: boolean }
  | { readonly ok: false; readonly reason: "wrong password" | "unreadable hash" | "made with another register key" };

/** Constant-time for keyed rows; a scrypt row costs one scrypt at the cost it names (on libuv's pool). */
export async function checkRegisterPassword(key: RegisterKey, password: string, stored: string): Promise<RegisterPasswordCheck> {
  if (stored.startsWith("scrypt$")) return (await verifyPassword(password, stored)) ? { ok: true, rehash: true } : { ok: false, reason: "wrong password" };
  const parts = stored.split("$");
  if (parts.length !== 3 || parts[0] !== REGISTER_HASH_SCHEME) return { ok: false, reason: "unreadable hash" };
  if (parts[1] !== key.id) return { ok: false, reason: "made with another register key" };
  const expected = Buffer.from(parts[2] ?? "", "base64url");
  if (expected.length !== HASH_BYTES) return { ok: false, reason: "unreadable hash" };
  return timingSafeEqual(mac(key, password), expected) ? { ok: true, rehash: false } : { ok: false, reason: "wrong password" };
}
