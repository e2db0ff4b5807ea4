/**
 * The carrier gateway: what a mobile carrier does for a phone. It authenticates the phone by its
 * subscriber credential, drops the credential, and forwards the request to the shopper API with a
 * freshly signed identity assertion, or, when the shopper API runs in the same process
 * (`shopperOperations`), hands a claim, approval or decline to it directly (in-process-hop.ts).
 * buildGatewayApp returns an unstarted fastify instance.
 */
import { lightRequestLogging } from "../http-security/request-logging.js";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import type { Clock } from "../clock.js";
import type { Db } from "../db/database.js";
import { findPhoneByCredentialHash, findPhoneByCredentialHashOp } from "../db/repositories/users.js";
import type { OperationRunner } from "../engine/operation.js";
import { credentialSha256 } from "../auth/subscriber-credential.js";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import { PHONE_ASSERTION_HEADER, errorBody } from "@codepay/contract";
import { addressKey, type HttpRateLimit } from "../http-security/http-rate-limits.js";
import { httpsServer, type HttpsMaterial } from "../http-security/https-server.js";
import { refusingDuplicateKeys } from "../shopper-api/json-body.js";
import { frameworkErrorOptions } from "../http-security/framework-errors.js";
import { securityHeaders } from "../http-security/security-headers.js";
import { headerOf, type Upstream } from "../http-security/upstream-request.js";
import { databaseRefusalFor } from "../db/database-faults.js";
import { httpStatusFor } from "../shopper-api/http-status.js";
import { registerPagePassThrough } from "../shopper-page/gateway-pass-through.js";
import type { CarrierKey } from "./carrier-keys.js";
import { newAssertionNonce, signPhoneAssertion } from "./phone-assertion.js";
import { handOver, type InProcessHop } from "./in-process-hop.js";
import { sendShopperReply } from "../shopper-api/shopper-reply.js";
import type { ShopperOperations } from "../shopper-api/shopper-operations.js";

export interface GatewayAppDeps {
  readonly db: Db;
  /** The batched engine (serve on SQLite): phones by credential come from its cached reads. */
  readonly engine?: OperationRunner;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Base URL of the shopper API, e.g. http://127.0.0.1:8080 */
  readonly shopperApiUrl: string;
  readonly carrierKey: (carrierId: string) => Promise<CarrierKey>;
  /** How requests reach the shopper API (keep-alive; with HTTPS, the CA that issued its certificate). */
  readonly upstream: Upstream;
  /** Every request, per client address, before anything else runs; absent: no limit. */
  readonly perAddressLimit?: HttpRateLimit;
  /** Certificate and key (PEM): the gateway listens on HTTPS and sends HSTS. */
  readonly https?: HttpsMaterial;
  /**
   * The shopper API's operations, when it runs in this process: claims, approvals and declines skip
   * the HTTP hop and the signed assertion. Absent: every request goes over HTTP to `shopperApiUrl`.
   */
  readonly shopperOperations?: ShopperOperations;
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,128})$/;

/**
 * The only paths a phone's request is forwarded on: the shopper API's own. The upstream URL is built
 * from the request's path, and the WHATWG URL parser resolves dot segments, `%2e%2e` among them, and
 * takes a backslash for a slash: so no dot, no escaped dot, slash or backslash, and no empty segment
 * (`/api/v1/../../metrics`, `%2e%2e`, `..\`) may reach it, or it could resolve to another route of
 * the shopper API. Other %-escapes pass (fastify decodes them, as it would for the shopper API's port).
 */
const FORWARDED_PATH = /^\/api\/v1\/[A-Za-z0-9_\-/%]*$/;
const ESCAPED_DOT_OR_SLASH = /%(2e|2f|5c)/i;

function isForwardedPath(url: string): boolean {
  const queryAt = url.indexOf("?");
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  return FORWARDED_PATH.test(path) && !ESCAPED_DOT_OR_SLASH.test(path) && !path.includes("//");
}

export function buildGatewayApp(deps: GatewayAppDeps) {
  const app = Fastify({ loggerInstance: deps.logger, ...lightRequestLogging, bodyLimit: limits.httpBodyBytesMax, ...frameworkErrorOptions({ https: deps.https !== undefined }), ...httpsServer(deps.https) });
  app.addHook("onSend", securityHeaders({ https: deps.https !== undefined }));
  const perAddress = deps.perAddressLimit;
  if (perAddress !== undefined) app.addHook("onRequest", async (request, reply) => perAddress.refuse(addressKey(request.ip), request, reply));
  // Forward bodies byte for byte: the shopper API parses them, not the gateway.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  // fastify's defaults (onProtoPoisoning and onConstructorPoisoning "error"), as the shopper API parses.
  const inProcess: InProcessHop | undefined = deps.shopperOperations === undefined ? undefined : { operations: deps.shopperOperations, parseJson: refusingDuplicateKeys(app.getDefaultJsonParser("error", "error")) };

  const engine = deps.engine;
  const findPhone = (hash: string) => (engine !== undefined ? engine.read(() => findPhoneByCredentialHashOp(hash)) : findPhoneByCredentialHash(deps.db, hash));

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!isForwardedPath(request.url)) return reply.code(404).send(errorBody("NOT_FOUND", "no such path on the carrier gateway"));
    const match = BEARER.exec(request.headers.authorization ?? "");
    const phone = match?.[1] === undefined ? undefined : await findPhone(credentialSha256(match[1]));
    if (phone === undefined) {
      request.log.warn("unknown subscriber credential");
      return reply.code(httpStatusFor("SUBSCRIBER_UNKNOWN")).send(errorBody("SUBSCRIBER_UNKNOWN", "unknown subscriber credential"));
    }
    const handedOver = inProcess === undefined ? undefined : await handOver(inProcess, phone, request);
    if (handedOver !== undefined) return sendShopperReply(reply, handedOver);
    const key = await deps.carrierKey(phone.carrier);
    const assertion = signPhoneAssertion({ carrier: phone.carrier, phoneId: phone.phoneId, iat: deps.clock(), nonce: newAssertionNonce() }, key.privateKey);
    const headers: Record<string, string> = { [PHONE_ASSERTION_HEADER]: assertion };
    const contentType = request.headers["content-type"];
    if (contentType !== undefined) headers["content-type"] = contentType;
    const hasBody = request.method !== "GET" && request.method !== "HEAD" && Buffer.isBuffer(request.body);
    const upstream = await deps.upstream.request(new URL(request.url, deps.shopperApiUrl), {
      method: request.method,
      headers,
      ...(hasBody ? { body: request.body as Buffer } : {}),
    });
    reply.code(upstream.status);
    const upstreamType = headerOf(upstream, "content-type");
    if (upstreamType !== undefined) reply.header("content-type", upstreamType);
    const retryAfter = headerOf(upstream, "retry-after"); // PHONE_LOCKED / STORE_LOCKED / RATE_LIMITED
    if (retryAfter !== undefined) reply.header("retry-after", retryAfter);
    const cacheControl = headerOf(upstream, "cache-control"); // the wallet's reads: no-store
    if (cacheControl !== undefined) reply.header("cache-control", cacheControl);
    return reply.send(upstream.body);
  }

  registerPagePassThrough(app, deps.shopperApiUrl, deps.upstream); // the shopper page is public; the API needs a credential
  app.all("/*", forward);
  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody("BAD_REQUEST", error.message ?? "bad request"));
    // The subscriber lookup could not read the database (PostgreSQL gone, a full disk): a retryable 503.
    const refusal = databaseRefusalFor(error);
    if (refusal !== undefined) {
      request.log.warn({ code: refusal.code, reason: error.message }, "gateway request refused for now");
      return reply.code(httpStatusFor(refusal.code)).header("retry-after", String(refusal.retryAfterS)).send(errorBody(refusal.code, refusal.message));
    }
    request.log.error({ err: error }, "gateway request failed");
    return reply.code(502).send(errorBody("INTERNAL", "the gateway could not reach the shopper API"));
  });
  return app;
}

export type GatewayApp = ReturnType<typeof buildGatewayApp>;
