/**
 * The carrier gateway passes the shopper page through to anyone: the page is public and static.
 * Only the API (/api/v1/...) needs a subscriber credential. A real carrier identifies the phone on
 * every request at the network level; a browser in this demo cannot, so the page sends the demo
 * phone's credential itself as a bearer token on its API calls (see public/shopper/shopper.js).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { headerOf, type Upstream } from "../http-security/upstream-request.js";
import { SHOPPER_ASSET_PREFIX, SHOPPER_PAGE_PATHS, type PageRoutesHost } from "./shopper-page.js";

/** Request headers the page's rendering depends on; nothing else (no cookies, no credential) is sent on. */
const FORWARDED_HEADERS = ["accept", "accept-language"] as const;

export function registerPagePassThrough(app: PageRoutesHost, shopperApiUrl: string, upstreamHttp: Upstream): void {
  const passThrough = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const upstream = await upstreamHttp.request(new URL(request.url, shopperApiUrl), { method: "GET", headers });
    reply.code(upstream.status);
    for (const name of Object.keys(upstream.headers)) {
      if (name === "content-type" || name === "cache-control" || name === "vary" || name.startsWith("content-security") || name.startsWith("x-content") || name === "referrer-policy") {
        const value = headerOf(upstream, name);
        if (value !== undefined) reply.header(name, value);
      }
    }
    return reply.send(upstream.body);
  };
  for (const path of SHOPPER_PAGE_PATHS) app.get(path, passThrough);
  app.get(`${SHOPPER_ASSET_PREFIX}*`, passThrough);
}
