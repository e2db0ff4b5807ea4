/** `admin register pair | disable | enable`. */
import { newPassword } from "../auth/password-hash.js";
import { hashRegisterPassword } from "../auth/register-password.js";
import { openRegisterKey } from "../auth/register-key.js";
import { inTransaction } from "../db/database.js";
import { insertPairing } from "../db/repositories/pairings.js";
import { findRegister, insertRegister, setRegisterDisabled } from "../db/repositories/registers.js";
import { findStore } from "../db/repositories/stores.js";
import { listRegisterHealth, type RegisterHealthRow } from "../db/repositories/register-presence.js";
import { limits } from "../limits.js";
import { ID_SLUG_PATTERN } from "@codepay/contract";
import { newPairingCode, pairingCodeSha256 } from "../pairing/pairing-codes.js";
import { AdminError } from "./admin-error.js";
import { withDatabase } from "./admin-commands.js";
import { adminIdempotent } from "./admin-idempotency.js";

export interface PairRegisterOutput {
  readonly storeId: string;
  readonly registerId: string;
  /** Shown once; `codepay-agent pair <code>` redeems it. */
  readonly pairingCode: string;
  readonly expiresAt: number;
}

/**
 * Creates the register (if new) with a password nobody knows, and a one-time pairing code for it.
 * Pairing an enrolled register again replaces its password when the code is redeemed.
 */
export async function pairRegister(input: { dataDir: string; storeId: string; registerId: string; name: string; ttlMs?: number; requestId?: string; now?: number }): Promise<PairRegisterOutput> {
  if (!ID_SLUG_PATTERN.test(input.registerId)) throw new AdminError("BAD_REQUEST", `register id must match ${ID_SLUG_PATTERN}`);
  if (input.name.trim() === "" || input.name.length > 100) throw new AdminError("BAD_REQUEST", "register name must be 1-100 characters");
  const now = input.now ?? Date.now();
  const pairingCode = newPairingCode();
  const request = { storeId: input.storeId, registerId: input.registerId, name: input.name, ttlMs: input.ttlMs ?? null };
  return withDatabase(input.dataDir, async (db) => {
    const unusablePasswordHash = hashRegisterPassword((await openRegisterKey(db, input.dataDir)).key, newPassword()); // until the pairing code is redeemed
    return inTransaction(db, (tx) =>
      adminIdempotent(tx, { requestId: input.requestId, operation: "register pair", request, now, secrets: ["pairingCode"] }, async () => {
        if ((await findStore(tx, input.storeId)) === undefined) throw new AdminError("NOT_FOUND", `no store ${input.storeId}; create it first`);
        const existing = await findRegister(tx, input.registerId);
        if (existing !== undefined && existing.storeId !== input.storeId) throw new AdminError("BAD_REQUEST", `register ${input.registerId} belongs to store ${existing.storeId}`);
        if (existing === undefined) await insertRegister(tx, { id: input.registerId, store_id: input.storeId, name: input.name, password_hash: unusablePasswordHash, broker_password_hash: null, created_at: now });
        const expiresAt = now + (input.ttlMs ?? limits.pairingCodeTtlMs);
        await insertPairing(tx, { codeSha256: pairingCodeSha256(pairingCode), registerId: input.registerId, expiresAt, createdAt: now });
        return { storeId: input.storeId, registerId: input.registerId, pairingCode, expiresAt };
      }),
    );
  });
}

/** A disabled register is refused at connect (REGISTER_DISABLED in the server log); enable undoes it. */
export async function setRegisterEnabled(input: { dataDir: string; registerId: string; enabled: boolean; requestId?: string; now?: number }): Promise<{ registerId: string; disabled: boolean }> {
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, (db) =>
    inTransaction(db, (tx) =>
      adminIdempotent(tx, { requestId: input.requestId, operation: input.enabled ? "register enable" : "register disable", request: { registerId: input.registerId }, now }, async () => {
        if ((await findRegister(tx, input.registerId)) === undefined) throw new AdminError("NOT_FOUND", `no register ${input.registerId}`);
        await setRegisterDisabled(tx, input.registerId, !input.enabled);
        return { registerId: input.registerId, disabled: !input.enabled };
      }),
    ),
  );
}

/**
 * Fleet health (issue 20): every register with what the server last heard of it (online or offline,
 * when, agent version, devices). Read from the database, so any instance of a scale-out deployment
 * answers, and it survives an instance restart.
 */
export async function listRegisters(input: { dataDir: string; storeId?: string }): Promise<{ registers: RegisterHealthRow[] }> {
  return { registers: await withDatabase(input.dataDir, (db) => listRegisterHealth(db, input.storeId)) };
}
