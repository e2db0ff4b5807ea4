/**
 * Carrier signing keys. The carrier's current Ed25519 key lives in
 * `<dataDir>/carrier-keys/<carrier>.key` (PKCS#8 PEM, mode 0600); the gateway signs with it. The
 * shopper API trusts the public keys in `carrier_keys` that are not retired, so a key is rotated
 * without downtime: `admin carrier rotate` writes a new key file and adds its public key while the
 * old one is still accepted; `admin carrier rotate --retire-old` then stops accepting the old ones.
 */
import { precompiledQuery } from "../db/precompiled-query.js";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Queryable } from "../db/database.js";
import { upsertCarrier } from "../db/repositories/carriers.js";

export const DEFAULT_CARRIER_ID = "demo-carrier";
export const CARRIER_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

export interface CarrierKey {
  readonly carrierId: string;
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
}

export function carrierKeyPath(dataDir: string, carrierId: string): string {
  return join(dataDir, "carrier-keys", `${carrierId}.key`);
}

/** A short, stable id of a public key: the first 16 hex digits of its SHA-256. */
export function carrierKeyId(publicKeyPem: string): string {
  return createHash("sha256").update(publicKeyPem, "utf8").digest("hex").slice(0, 16);
}

function newPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

function keyFromPem(carrierId: string, pem: Buffer | string): CarrierKey {
  const privateKey = createPrivateKey(pem);
  const publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  return { carrierId, keyId: carrierKeyId(publicKeyPem), privateKey, publicKeyPem };
}

/** Reads the key file, creating it (mode 0600) on first use. */
export function loadOrCreateCarrierKey(dataDir: string, carrierId: string): CarrierKey {
  if (!CARRIER_ID_PATTERN.test(carrierId)) throw new Error(`bad carrier id ${JSON.stringify(carrierId)}`);
  const path = carrierKeyPath(dataDir, carrierId);
  if (!existsSync(path)) {
    mkdirSync(join(dataDir, "carrier-keys"), { recursive: true, mode: 0o700 });
    // flag "wx": never overwrite a key another process wrote a moment ago.
    try {
      writeFileSync(path, newPrivateKeyPem(), { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    chmodSync(path, 0o600);
  }
  return keyFromPem(carrierId, readFileSync(path));
}

async function trustKey(db: Queryable, key: CarrierKey, now: number): Promise<void> {
  await upsertCarrier(db, key.carrierId, key.publicKeyPem, now);
  await db
    .insertInto("carrier_keys")
    .values({ key_id: key.keyId, carrier_id: key.carrierId, public_key_pem: key.publicKeyPem, created_at: now, retired_at: null })
    .onConflict((oc) => oc.column("key_id").doNothing())
    .execute();
}

/** Key file and trusted public key, together (the carrier is created on first use). */
export async function ensureCarrier(db: Queryable, dataDir: string, carrierId: string, now: number): Promise<CarrierKey> {
  const key = loadOrCreateCarrierKey(dataDir, carrierId);
  await trustKey(db, key, now);
  return key;
}

/** A new current key: trusted first, then the key file is replaced atomically (rename). The old key stays trusted. */
export async function rotateCarrierKey(db: Queryable, dataDir: string, carrierId: string, now: number): Promise<CarrierKey> {
  loadOrCreateCarrierKey(dataDir, carrierId);
  const pem = newPrivateKeyPem();
  const key = keyFromPem(carrierId, pem);
  await trustKey(db, key, now);
  const path = carrierKeyPath(dataDir, carrierId);
  writeFileSync(`${path}.new`, pem, { mode: 0o600 });
  renameSync(`${path}.new`, path);
  return key;
}

/** Stops trusting every key of the carrier except the current one (the key file's). */
export async function retireOldCarrierKeys(db: Queryable, dataDir: string, carrierId: string, now: number): Promise<number> {
  const current = loadOrCreateCarrierKey(dataDir, carrierId);
  const result = await db
    .updateTable("carrier_keys")
    .set({ retired_at: now })
    .where("carrier_id", "=", carrierId)
    .where("key_id", "<>", current.keyId)
    .where("retired_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

const selectTrustedKeys = precompiledQuery<{ carrierId: string }, { key_id: string; public_key_pem: string }>((db, param) =>
  db.selectFrom("carrier_keys").select(["key_id", "public_key_pem"]).where("carrier_id", "=", param("carrierId")).where("retired_at", "is", null).orderBy("created_at"),
);

export async function listTrustedCarrierKeys(db: Queryable, carrierId: string): Promise<{ keyId: string; publicKeyPem: string }[]> {
  const { rows } = await selectTrustedKeys(db, { carrierId });
  return rows.map((r) => ({ keyId: r.key_id, publicKeyPem: r.public_key_pem }));
}
