/**
 * One-time pairing codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown
 * as ABCD-EFGH; stored as SHA-256 (the code is random and short-lived, so a fast hash is enough).
 */
import { createHash, randomInt } from "node:crypto";

const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

export function newPairingCode(): string {
  let text = "";
  for (let i = 0; i < 8; i += 1) text += ALPHABET[randomInt(ALPHABET.length)];
  return `${text.slice(0, 4)}-${text.slice(4)}`;
}

export function pairingCodeSha256(code: string): string {
  return createHash("sha256").update(code.toUpperCase(), "utf8").digest("hex");
}
