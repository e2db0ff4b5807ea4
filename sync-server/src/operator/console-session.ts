/**
 * The operator console's session cookie and CSRF token, pure apart from the random bytes they are
 * made of. The cookie carries a 32-byte random token; the database keeps only its SHA-256, so a copy
 * of the database signs nobody in. The cookie is HttpOnly (no script reads it), SameSite=Strict (no
 * other site's page sends it) and, on HTTPS, Secure with the __Host- prefix (only this origin, path /).
 * Every change also carries the session's CSRF token in the form, compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const TOKEN_BYTES = 32;
export const SESSION_COOKIE_PLAIN = "codepay_console";
export const SESSION_COOKIE_HTTPS = "__Host-codepay_console";

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

export function tokenSha256(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function sessionCookieName(https: boolean): string {
  return https ? SESSION_COOKIE_HTTPS : SESSION_COOKIE_PLAIN;
}

/** Set-Cookie for a new session; `maxAgeS` is the session's absolute end. */
export function sessionCookie(token: string, options: { readonly https: boolean; readonly maxAgeS: number }): string {
  const parts = [`${sessionCookieName(options.https)}=${token}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}`];
  if (options.https) parts.push("Secure");
  return parts.join("; ");
}

/** Set-Cookie that makes the browser forget the session. */
export function clearedSessionCookie(https: boolean): string {
  return sessionCookie("", { https, maxAgeS: 0 });
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The session token from a Cookie header, if it carries one of the right shape. */
export function sessionTokenOf(cookieHeader: string | undefined, https: boolean): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const name = sessionCookieName(https);
  for (const pair of cookieHeader.split(";")) {
    const at = pair.indexOf("=");
    if (at < 0 || pair.slice(0, at).trim() !== name) continue;
    const value = pair.slice(at + 1).trim();
    if (TOKEN_SHAPE.test(value)) return value;
  }
  return undefined;
}

/** A session is live until its absolute end and while it was used within `idleMs`. */
export function sessionIsLive(session: { readonly lastSeenAt: number; readonly expiresAt: number }, now: number, idleMs: number): boolean {
  return now < session.expiresAt && now - session.lastSeenAt < idleMs;
}

/** Constant time for equal lengths; a missing or differently sized token never matches. */
export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== "string" || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given, "utf8"), Buffer.from(expected, "utf8"));
}

/**
 * A state-changing request from a page of another origin is refused even before the CSRF token is
 * looked at: browsers send Origin on every POST. Absent (a non-browser client): the token decides.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export type SignInVerdict = { readonly kind: "check-password" } | { readonly kind: "locked"; readonly untilMs: number } | { readonly kind: "no-account" };

/** Before any password is checked: a missing or disabled account, or one locked by failures. */
export function signInVerdict(operator: { readonly disabled: boolean; readonly lockedUntil: number } | undefined, now: number): SignInVerdict {
  if (operator === undefined || operator.disabled) return { kind: "no-account" };
  if (operator.lockedUntil > now) return { kind: "locked", untilMs: operator.lockedUntil };
  return { kind: "check-password" };
}
