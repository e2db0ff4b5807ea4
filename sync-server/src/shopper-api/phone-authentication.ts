/**
 * Checks the carrier's identity assertion on a shopper request and finds the phone it names.
 * Order matters: signature before freshness before nonce, so a forged assertion can neither burn
 * a nonce nor learn anything about phones.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Db } from "../db/database.js";
import { listTrustedCarrierKeys } from "../carrier-gateway/carrier-keys.js";
import { findPhone, type PhoneRow } from "../db/repositories/users.js";
import { decodePhoneAssertion, verifyAssertionSignature } from "../carrier-gateway/phone-assertion.js";
import { limits } from "../limits.js";
import type { ErrorCode } from "@codepay/contract";
import type { NonceStore } from "./nonce-cache.js";

export type PhoneAuthentication = { readonly ok: true; readonly phone: PhoneRow } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

export class PhoneAuthenticator {
  private readonly publicKeys = new Map<string, { pem: string; key: KeyObject }>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly nonces: NonceStore,
  ) {}

  async authenticate(header: string | string[] | undefined): Promise<PhoneAuthentication> {
    if (header === undefined || header === "") return { ok: false, code: "ASSERTION_MISSING", message: "no carrier assertion" };
    if (Array.isArray(header) || header.length > limits.assertionHeaderBytesMax) return { ok: false, code: "ASSERTION_INVALID", message: "malformed carrier assertion" };
    const decoded = decodePhoneAssertion(header);
    if (!decoded.ok) return { ok: false, code: "ASSERTION_INVALID", message: decoded.message };
    const { assertion } = decoded;
    const publicKeys = await this.publicKeysOf(assertion.carrier);
    if (publicKeys.length === 0) return { ok: false, code: "ASSERTION_INVALID", message: "unknown carrier" };
    // Any key the carrier has not retired: during a rotation both the old and the new one sign.
    if (!publicKeys.some((key) => verifyAssertionSignature(decoded.json, decoded.signature, key))) {
      return { ok: false, code: "ASSERTION_INVALID", message: "bad assertion signature or unknown key" };
    }
    const now = this.clock();
    if (assertion.iat > now + limits.assertionFutureSkewMs) return { ok: false, code: "ASSERTION_EXPIRED", message: "assertion issued in the future" };
    const expiresAt = assertion.iat + limits.assertionLifetimeMs;
    if (now > expiresAt) return { ok: false, code: "ASSERTION_EXPIRED", message: "assertion too old" };
    const verdict = await this.nonces.remember(`${assertion.carrier}:${assertion.nonce}`, expiresAt, now);
    if (verdict === "replayed") return { ok: false, code: "ASSERTION_REPLAYED", message: "assertion nonce already used" };
    if (verdict === "full") return { ok: false, code: "SERVER_UNAVAILABLE", message: "too many assertions in flight, retry shortly" };
    const phone = await findPhone(this.db, assertion.phoneId);
    if (phone === undefined || phone.carrier !== assertion.carrier) return { ok: false, code: "PHONE_UNKNOWN", message: "no user enrolled this phone" };
    return { ok: true, phone };
  }

  private async publicKeysOf(carrierId: string): Promise<KeyObject[]> {
    const trusted = await listTrustedCarrierKeys(this.db, carrierId);
    return trusted.map(({ keyId, publicKeyPem }) => {
      const cached = this.publicKeys.get(keyId);
      if (cached?.pem === publicKeyPem) return cached.key;
      const key = createPublicKey(publicKeyPem);
      this.publicKeys.set(keyId, { pem: publicKeyPem, key });
      return key;
    });
  }
}
