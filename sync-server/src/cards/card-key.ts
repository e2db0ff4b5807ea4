/**
 * The deployment's card key: 32 random bytes in `<dataDir>/card-key` (mode 0600), created on first
 * use. Agents get it at pairing and send HMAC-SHA256(cardKey, PAN) instead of the PAN; the server
 * stores only that keyed hash and the last 4 digits (PCI DSS: stored PANs unreadable, DESIGN-NOTES).
 */
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { loadOrCreateKeyFile } from "../auth/key-file.js";

const CARD_KEY_BYTES = 32;

export function cardKeyPath(dataDir: string): string {
  return join(dataDir, "card-key");
}

export function loadOrCreateCardKey(dataDir: string): Buffer {
  return loadOrCreateKeyFile(cardKeyPath(dataDir), dataDir, CARD_KEY_BYTES);
}

/** The keyed hash the agent sends and the server looks cards up by: lowercase hex. */
export function cardToken(cardKey: Buffer, pan: string): string {
  return createHmac("sha256", cardKey).update(pan, "utf8").digest("hex");
}


/** "YYMM" expiry as on the track, compared with the month `now` falls in (UTC): valid through its month. */
export function isCardExpired(expiryYymm: string, now: number): boolean {
  const year = 2000 + Number(expiryYymm.slice(0, 2));
  const month = Number(expiryYymm.slice(2, 4));
  if (month < 1 || month > 12) return true;
  const date = new Date(now);
  const current = date.getUTCFullYear() * 12 + date.getUTCMonth();
  return year * 12 + (month - 1) < current;
}
