/**
 * The carrier gateway passes the shopper page through to anyone: the page is public and static.
 * Only the API (/api/v1/...) needs a subscriber credential. A real carrier identifies the phone on
 * every request at the network level; a browser in this demo cannot, so the page sends the demo
 * phone's credential itself as a bearer token on its API calls (see public/shopper/shopper.js).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { headerOf, type Upstream } from "../http-security/upstream-request.js";
import { SHOPPER_ASSET_FILES, SHOPPER_ASSET_PREFIX, SHOPPER_PAGE_PATHS, type PageRoutesHost } from "./shopper-page.js";

/** Request headers the page's rendering depends on; nothing else (no cookies, no credential) is sent on. */
const FORWARDED_HEADERS = ["accept", "accept-language"] as const;

/**
 * One route per page path and per asset file, each forwarding to that same fixed path: what goes
 * upstream is never built from the request's path, so `/assets/../metrics`, `%2e%2e` or a backslash
 * cannot reach any other route of the shopper API (they do not match these routes at all). Only the
 * page paths keep their query (`?lang=ja`).
 */
export function registerPagePassThrough(app: PageRoutesHost, shopperApiUrl: string, upstreamHttp: Upstream): void {
  for (const path of SHOPPER_PAGE_PATHS) app.get(path, passThroughTo(path, true, shopperApiUrl, upstreamHttp));
  for (const file of SHOPPER_ASSET_FILES) {
    const path = `${SHOPPER_ASSET_PREFIX}${file}`;
    app.get(path, passThroughTo(path, false, shopperApiUrl, upstreamHttp));
  }
}

function passThroughTo(path: string, keepQuery: boolean, shopperApiUrl: string, upstreamHttp: Upstream) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const target = new URL(path, shopperApiUrl);
    if (keepQuery) {
      const queryAt = request.url.indexOf("?");
      if (queryAt >= 0) target.search = request.url.slice(queryAt);
    }
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const upstream = await upstreamHttp.request(target, { method: "GET", headers });
    reply.code(upstream.status);
    for (const name of Object.keys(upstream.headers)) {
      if (name === "content-type" || name === "cache-control" || name === "vary" || name.startsWith("content-security") || name.startsWith("x-content") || name === "referrer-policy") {
        const value = headerOf(upstream, name);
        if (value !== undefined) reply.header(name, value);
      }
    }
    return reply.send(upstream.body);
  };
}
