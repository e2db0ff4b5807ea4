/**
 * The carrier's Ed25519 signing key lives in `<dataDir>/carrier-keys/<carrier>.key` (PKCS#8 PEM,
 * mode 0600). The key file is the truth; its public half is written to the carriers table, which is
 * what the shopper API trusts.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Queryable } from "../db/database.js";
import { upsertCarrier } from "../db/repositories/carriers.js";

export const DEFAULT_CARRIER_ID = "demo-carrier";
export const CARRIER_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

export interface CarrierKey {
  readonly carrierId: string;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
}

export function carrierKeyPath(dataDir: string, carrierId: string): string {
  return join(dataDir, "carrier-keys", `${carrierId}.key`);
}

/** Reads the key file, creating it (mode 0600) on first use. */
export function loadOrCreateCarrierKey(dataDir: string, carrierId: string): CarrierKey {
  if (!CARRIER_ID_PATTERN.test(carrierId)) throw new Error(`bad carrier id ${JSON.stringify(carrierId)}`);
  const path = carrierKeyPath(dataDir, carrierId);
  if (!existsSync(path)) {
    mkdirSync(join(dataDir, "carrier-keys"), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync("ed25519");
    // flag "wx": never overwrite a key another process wrote a moment ago.
    try {
      writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    chmodSync(path, 0o600);
  }
  const privateKey = createPrivateKey(readFileSync(path));
  const publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  return { carrierId, privateKey, publicKeyPem };
}

/** Key file and carriers row, together. */
export async function ensureCarrier(db: Queryable, dataDir: string, carrierId: string, now: number): Promise<CarrierKey> {
  const key = loadOrCreateCarrierKey(dataDir, carrierId);
  await upsertCarrier(db, carrierId, key.publicKeyPem, now);
  return key;
}
