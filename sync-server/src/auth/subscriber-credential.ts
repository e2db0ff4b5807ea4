/**
 * Phone subscriber credentials: 32 random bytes, shown once, stored as SHA-256 hex. A fast hash is
 * enough here because the credential is random and long (no dictionary to try), and the gateway
 * looks phones up by it on every request.
 */
import { createHash, randomBytes } from "node:crypto";

const CREDENTIAL_BYTES = 32;

export function newSubscriberCredential(): string {
  return randomBytes(CREDENTIAL_BYTES).toString("base64url");
}

export function credentialSha256(credential: string): string {
  return createHash("sha256").update(credential, "utf8").digest("hex");
}
