/**
 * Security headers on every response of the shopper API and the carrier gateway. A route that sets
 * its own Content-Security-Policy (the shopper page) keeps it; everything else (JSON) gets one that
 * allows nothing. HSTS only on HTTPS: sent over plain HTTP it means nothing (RFC 6797 section 7.2).
 */
export const HSTS_VALUE = "max-age=31536000";
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/** The part of a fastify reply the hook touches (an instance's types depend on its logger). */
interface HeaderReply {
  hasHeader(name: string): boolean;
  header(name: string, value: string): unknown;
}

/** The headers every response carries (a route may replace the Content-Security-Policy). */
export function securityHeaderValues(options: { readonly https: boolean }): Readonly<Record<string, string>> {
  return {
    "content-security-policy": API_CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    ...(options.https ? { "strict-transport-security": HSTS_VALUE } : {}),
  };
}

/**
 * Headers a route may set for itself: a page's Content-Security-Policy, and the operator console's
 * Referrer-Policy (same-origin: under no-referrer a browser sends `Origin: null` with a form's POST,
 * and the console checks that Origin).
 */
const ROUTE_MAY_SET: ReadonlySet<string> = new Set(["content-security-policy", "referrer-policy"]);

/** An onSend hook: `app.addHook("onSend", securityHeaders({ https }))`. */
export function securityHeaders(options: { readonly https: boolean }): (request: unknown, reply: HeaderReply, payload: unknown) => Promise<unknown> {
  const values = Object.entries(securityHeaderValues(options));
  return async (_request, reply, payload) => {
    for (const [name, value] of values) if (!ROUTE_MAY_SET.has(name) || !reply.hasHeader(name)) reply.header(name, value);
    return payload;
  };
}
