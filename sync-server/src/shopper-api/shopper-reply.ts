/**
 * An operation's reply (shopper-operations.ts) on the wire. The shopper API's routes and the carrier
 * gateway's in-process hop both send it with this, so a phone sees the same status, headers (in the
 * order the gateway relays an upstream reply: content type, then Retry-After) and body bytes.
 */
import type { FastifyReply } from "fastify";
import type { ShopperReply } from "./shopper-operations.js";

export function sendShopperReply(reply: FastifyReply, result: ShopperReply): FastifyReply {
  reply.code(result.status).header("content-type", "application/json; charset=utf-8");
  if (result.retryAfterS !== undefined) reply.header("retry-after", String(result.retryAfterS));
  if (result.cacheControl !== undefined) reply.header("cache-control", result.cacheControl);
  return reply.send(result.body);
}
