/**
 * POST /api/v1/pairings { pairingCode } on the shopper-API listener (protocol/pairing.ts): no phone
 * assertion; the one-time code is the credential. A good code gives the register a new password
 * (only its keyed hash is kept, auth/register-password.ts) and answers with everything the agent's config needs, including the
 * card key. An unknown, used or expired code: 404 PAIRING_CODE_INVALID, nothing changes.
 */
import type { ShopperApp } from "../shopper-api/app.js";
import { mosquittoPasswordHash } from "../auth/mosquitto-password.js";
import { newPassword } from "../auth/password-hash.js";
import { hashRegisterPassword, type RegisterKey } from "../auth/register-password.js";
import { loadOrCreateCardKey } from "../cards/card-key.js";
import type { Clock } from "../clock.js";
import { inTransaction, type Db } from "../db/database.js";
import { pairingUsable, redeemPairing } from "../db/repositories/pairings.js";
import { findRegister, updateRegisterCredentials } from "../db/repositories/registers.js";
import { findStore } from "../db/repositories/stores.js";
import type { Logger } from "../logger.js";
import { errorBody, PAIRING_PATH, PairingRequestSchema, type PairingResponse } from "@codepay/contract";
import { httpStatusFor } from "../shopper-api/http-status.js";
import { pairingCodeSha256 } from "./pairing-codes.js";
import { addressKey, type HttpRateLimit } from "../http-security/http-rate-limits.js";

export interface PairingDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
  /** The broker URL agents connect to (the server's own). */
  readonly mqttUrl: () => string;
  /** Attempts per client address; absent: no limit. */
  readonly perAddressLimit?: HttpRateLimit;
  /** The deployment's register key (auth/register-key.ts). */
  readonly registerKey: RegisterKey;
  /** The new password's hashes (keyed for the embedded broker, mosquitto's for an external one); tests count the calls. */
  readonly hashCredentials?: (password: string) => Promise<{ passwordHash: string; brokerPasswordHash: string }>;
  /**
   * After the new password is committed and before the answer: an external broker's password file
   * is rewritten and the broker reloaded (broker/broker-files-sync.ts), so the agent can connect
   * at once. A failure is logged, not answered: the code is spent and the password committed, and
   * the agent needs it whatever happens to the file.
   */
  readonly afterRegisterChange?: () => Promise<unknown>;
}

async function hashCredentials(registerKey: RegisterKey, password: string): Promise<{ passwordHash: string; brokerPasswordHash: string }> {
  return { passwordHash: hashRegisterPassword(registerKey, password), brokerPasswordHash: await mosquittoPasswordHash(password) };
}

export function registerPairingRoute(app: ShopperApp, deps: PairingDeps): void {
  app.post(PAIRING_PATH, async (request, reply) => {
    const limited = deps.perAddressLimit?.refuse(addressKey(request.ip), request, reply);
    if (limited !== undefined) return limited;
    const invalid = () => reply.code(httpStatusFor("PAIRING_CODE_INVALID")).send(errorBody("PAIRING_CODE_INVALID", "unknown, used or expired pairing code"));
    const parsed = PairingRequestSchema.safeParse(request.body);
    if (!parsed.success) return invalid();
    const codeSha256 = pairingCodeSha256(parsed.data.pairingCode);
    // A wrong code is refused before the slow hashes; the transaction below still decides (one redeemer).
    if (!(await pairingUsable(deps.db, codeSha256, deps.clock()))) {
      request.log.warn("pairing refused: PAIRING_CODE_INVALID");
      return invalid();
    }
    const password = newPassword();
    const { passwordHash, brokerPasswordHash } = await (deps.hashCredentials ?? ((secret: string) => hashCredentials(deps.registerKey, secret)))(password);
    const paired = await inTransaction(deps.db, async (tx): Promise<PairingResponse | undefined> => {
      const registerId = await redeemPairing(tx, codeSha256, deps.clock());
      const register = registerId === undefined ? undefined : await findRegister(tx, registerId);
      const store = register === undefined ? undefined : await findStore(tx, register.storeId);
      if (register === undefined || store === undefined) return undefined;
      await updateRegisterCredentials(tx, register.id, { name: register.name, passwordHash, brokerPasswordHash });
      return {
        storeId: store.id,
        storeName: store.name,
        registerId: register.id,
        registerName: register.name,
        password,
        currency: store.currency,
        mqttUrl: deps.mqttUrl(),
        cardKey: loadOrCreateCardKey(deps.dataDir).toString("hex"),
      };
    });
    if (paired === undefined) {
      request.log.warn("pairing refused: PAIRING_CODE_INVALID");
      return invalid();
    }
    request.log.info({ registerId: paired.registerId, storeId: paired.storeId }, "register paired");
    if (deps.afterRegisterChange !== undefined) {
      try {
        await deps.afterRegisterChange();
      } catch (error) {
        request.log.error({ err: error, registerId: paired.registerId }, "register paired, but the broker files were not updated: it cannot reach the broker until `admin broker files` runs and the broker reloads");
      }
    }
    return reply.code(200).send(paired);
  });
}
