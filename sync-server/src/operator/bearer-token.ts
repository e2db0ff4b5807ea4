/**
 * The operator listener's optional bearer token (RFC 6750 section 2.1). The comparison is on SHA-256
 * digests with timingSafeEqual, so neither the token's length nor its first differing byte shows in
 * the answer's timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** A check for an `Authorization` header value against `token`. */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  if (token === "") throw new Error("the operator token must not be empty");
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}
