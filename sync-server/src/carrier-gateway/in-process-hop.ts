/**
 * The gateway's in-process hop to the shopper API (server.ts wires it when both run in one process):
 * a phone's claim, approval or decline goes straight to the shopper operations with the phone the
 * gateway authenticated by its subscriber credential. No loopback socket, no second HTTP parse, no
 * Ed25519 sign + verify, no second phone read. Nothing a client sends selects this path: it starts
 * after the gateway's own credential check, and the shopper API's port still verifies every
 * assertion.
 *
 * Only requests the shopper API's fastify would route and parse exactly like this are taken (the
 * three POST routes with a well-formed paymentId, no query string, a JSON body or none); any other
 * request to the API takes the signed HTTP hop, so fastify's own answers to odd requests (unknown
 * routes, other media types, bad URLs) stay exactly what they were.
 */
import type { FastifyRequest } from "fastify";
import type { PhoneRow } from "../db/repositories/users.js";
import { SHOPPER_API_PREFIX, errorBody } from "@codepay/contract";
import type { ShopperCall, ShopperOperations, ShopperReply } from "../shopper-api/shopper-operations.js";

/** The ids ClientIdSchema takes, so fastify's router would match them unchanged (no %-escapes, under maxParamLength). */
const DECISION_PATH = new RegExp(`^${SHOPPER_API_PREFIX}/payments/([A-Za-z0-9_-]{8,64})/(approve|decline)$`);
const CLAIM_PATH = `${SHOPPER_API_PREFIX}/claims`;
/** Media types fastify's default JSON parser takes (it lowercases the type; utf-8 is its only charset). */
const JSON_MEDIA_TYPE = /^application\/json(?:; ?charset=utf-8)?$/i;

/** The operation a request names, or undefined: not one the in-process hop takes. Pure. */
export function shopperCallOf(method: string, url: string): ShopperCall | undefined {
  if (method !== "POST") return undefined;
  if (url === CLAIM_PATH) return { operation: "claim" };
  const decision = DECISION_PATH.exec(url);
  if (decision === null) return undefined;
  return { operation: decision[2] === "approve" ? "approve" : "decline", paymentId: decision[1] };
}

/** The shopper API's JSON body parser (shopper-api/json-body.ts), the one the shopper API parses with. */
export type { JsonBodyParser } from "../shopper-api/json-body.js";
import type { JsonBodyParser } from "../shopper-api/json-body.js";

export type BodyOutcome = { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly reply: ShopperReply };

/**
 * The body as the shopper API would have it: undefined without a content type and without bytes,
 * JSON parsed by fastify's own parser, its refusal answered as the shopper API's error handler does
 * (its status, BAD_REQUEST, its message). Undefined: a body the in-process hop does not take.
 */
export function shopperBodyOf(request: FastifyRequest, parseJson: JsonBodyParser): BodyOutcome | undefined {
  const contentType = request.headers["content-type"];
  const raw = request.body;
  if (contentType === undefined) return Buffer.isBuffer(raw) ? undefined : { ok: true, body: undefined };
  if (!JSON_MEDIA_TYPE.test(contentType) || !Buffer.isBuffer(raw)) return undefined;
  let outcome: BodyOutcome | undefined;
  parseJson(request, raw.toString("utf8"), (error, value) => {
    const status = (error as { statusCode?: number } | null)?.statusCode ?? 400;
    outcome = error === null ? { ok: true, body: value } : { ok: false, reply: { status, body: errorBody("BAD_REQUEST", error.message) } };
  });
  return outcome; // fastify's default parser answers synchronously; anything else falls back to HTTP
}

export interface InProcessHop {
  readonly operations: ShopperOperations;
  readonly parseJson: JsonBodyParser;
}

/** The reply to a request the in-process hop takes, or undefined: send it over the signed HTTP hop. */
export async function handOver(hop: InProcessHop, phone: PhoneRow, request: FastifyRequest): Promise<ShopperReply | undefined> {
  const call = shopperCallOf(request.method, request.url);
  if (call === undefined) return undefined;
  const body = shopperBodyOf(request, hop.parseJson);
  if (body === undefined) return undefined;
  if (!body.ok) return body.reply;
  return hop.operations.run(phone, call, body.body, request.log);
}
