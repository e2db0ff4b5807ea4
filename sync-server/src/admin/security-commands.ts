/** Admin commands for shoppers' PINs and carriers' signing keys. */
import { hashPassword } from "../auth/password-hash.js";
import { CARRIER_ID_PATTERN, ensureCarrier, listTrustedCarrierKeys, retireOldCarrierKeys, rotateCarrierKey } from "../carrier-gateway/carrier-keys.js";
import { inTransaction } from "../db/database.js";
import { setUserPinHash } from "../db/repositories/users.js";
import { AdminError } from "./admin-error.js";
import { withDatabase } from "./admin-commands.js";
import { adminIdempotent } from "./admin-idempotency.js";

/** `admin user set-pin --user U --pin 1234`: stored as a scrypt hash, like register passwords. */
export async function setUserPin(input: { dataDir: string; userId: string; pin: string; requestId?: string; now?: number }): Promise<{ userId: string; pinSet: true }> {
  if (!/^\d{4,8}$/.test(input.pin)) throw new AdminError("BAD_REQUEST", "a PIN is 4-8 digits");
  const pinHash = await hashPassword(input.pin);
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, (db) =>
    inTransaction(db, (tx) =>
      // The request hash covers who, not the PIN: a hash of 4-8 digits would give it away.
      adminIdempotent(tx, { requestId: input.requestId, operation: "user set-pin", request: { userId: input.userId }, now }, async () => {
        if (!(await setUserPinHash(tx, input.userId, pinHash))) throw new AdminError("NOT_FOUND", `no user ${input.userId}`);
        return { userId: input.userId, pinSet: true as const };
      }),
    ),
  );
}

export interface CarrierOutput {
  readonly carrierId: string;
  /** The key the gateway signs with from now on. */
  readonly currentKeyId: string;
  /** Keys the shopper API accepts (the current one and any not yet retired). */
  readonly trustedKeyIds: readonly string[];
  readonly retired?: number;
}

function requireCarrierId(id: string): void {
  if (!CARRIER_ID_PATTERN.test(id)) throw new AdminError("BAD_REQUEST", `carrier id must match ${CARRIER_ID_PATTERN}`);
}

/** `admin carrier add --id X`: a signing key (created if missing) and its trusted public key. */
export async function addCarrier(input: { dataDir: string; carrierId: string; now?: number }): Promise<CarrierOutput> {
  requireCarrierId(input.carrierId);
  return withDatabase(input.dataDir, async (db) => {
    const key = await ensureCarrier(db, input.dataDir, input.carrierId, input.now ?? Date.now());
    return { carrierId: input.carrierId, currentKeyId: key.keyId, trustedKeyIds: (await listTrustedCarrierKeys(db, input.carrierId)).map((k) => k.keyId) };
  });
}

/**
 * `admin carrier rotate --id X`: a new signing key; the old one stays trusted, so assertions signed
 * a moment ago still pass. `--retire-old`: stop trusting every key but the current one.
 */
export async function rotateCarrier(input: { dataDir: string; carrierId: string; retireOld: boolean; now?: number }): Promise<CarrierOutput> {
  requireCarrierId(input.carrierId);
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, async (db) => {
    if (input.retireOld) {
      const retired = await retireOldCarrierKeys(db, input.dataDir, input.carrierId, now);
      const current = await ensureCarrier(db, input.dataDir, input.carrierId, now);
      return { carrierId: input.carrierId, currentKeyId: current.keyId, trustedKeyIds: (await listTrustedCarrierKeys(db, input.carrierId)).map((k) => k.keyId), retired };
    }
    const key = await rotateCarrierKey(db, input.dataDir, input.carrierId, now);
    return { carrierId: input.carrierId, currentKeyId: key.keyId, trustedKeyIds: (await listTrustedCarrierKeys(db, input.carrierId)).map((k) => k.keyId) };
  });
}
