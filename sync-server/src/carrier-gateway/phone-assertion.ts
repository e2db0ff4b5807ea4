/**
 * The identity assertion a carrier attaches to a phone's request:
 *   base64url(JSON PhoneAssertion) + "." + base64url(Ed25519 signature over those JSON bytes)
 * Signing and decoding are pure; freshness and replay are checked by the shopper API.
 */
import { randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { PhoneAssertionSchema, type PhoneAssertion } from "@codepay/contract";

export function signPhoneAssertion(assertion: PhoneAssertion, privateKey: KeyObject): string {
  const json = Buffer.from(JSON.stringify(assertion), "utf8");
  const signature = sign(null, json, privateKey); // Ed25519 takes no digest name
  return `${json.toString("base64url")}.${signature.toString("base64url")}`;
}

export function newAssertionNonce(): string {
  return randomBytes(18).toString("base64url");
}

export type DecodedAssertion = { readonly ok: true; readonly assertion: PhoneAssertion; readonly json: Buffer; readonly signature: Buffer } | { readonly ok: false; readonly message: string };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Splits and parses the header without trusting it yet. */
export function decodePhoneAssertion(header: string): DecodedAssertion {
  const parts = header.split(".");
  if (parts.length !== 2 || !BASE64URL.test(parts[0] ?? "") || !BASE64URL.test(parts[1] ?? "")) {
    return { ok: false, message: "assertion is not base64url(json).base64url(signature)" };
  }
  const json = Buffer.from(parts[0] ?? "", "base64url");
  const signature = Buffer.from(parts[1] ?? "", "base64url");
  let value: unknown;
  try {
    value = JSON.parse(json.toString("utf8"));
  } catch {
    return { ok: false, message: "assertion payload is not JSON" };
  }
  const parsed = PhoneAssertionSchema.safeParse(value);
  if (!parsed.success) return { ok: false, message: "assertion payload does not match the schema" };
  return { ok: true, assertion: parsed.data, json, signature };
}

export function verifyAssertionSignature(json: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(null, json, publicKey, signature);
  } catch {
    return false; // a signature of the wrong length throws; it is simply invalid
  }
}
