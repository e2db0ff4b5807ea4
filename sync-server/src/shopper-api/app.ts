/**
 * The shopper API (phones, behind the carrier gateway). buildShopperApp returns an unstarted
 * fastify instance (STYLE.md §7): tests use inject(), the composition root calls listen().
 */
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import type { z } from "zod";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import {
  CODE_RANDOM_DIGITS_MAX,
  ClaimRequestSchema,
  ClientIdSchema,
  DecisionRequestSchema,
  PHONE_ASSERTION_HEADER,
  SHOPPER_API_PREFIX,
  errorBody,
  type ErrorCode,
} from "../protocol/index.js";
import type { PhoneRow } from "../db/repositories/users.js";
import { newCodeRandomDigits, type SettlementContext } from "../settlement/context.js";
import { approvePayment, claimCode, declinePayment, type ShopperResult } from "../settlement/shopper-requests.js";
import { httpStatusFor } from "./http-status.js";
import { httpsServer, type HttpsMaterial } from "../http-security/https-server.js";
import type { HttpRateLimit } from "../http-security/http-rate-limits.js";
import { securityHeaders } from "../http-security/security-headers.js";
import { registerShopperPage } from "../shopper-page/shopper-page.js";
import type { PhoneAuthenticator } from "./phone-authentication.js";

export interface ShopperAppDeps {
  readonly settlement: SettlementContext;
  readonly phones: PhoneAuthenticator;
  readonly logger: Logger;
  /** Claims, approvals and declines per authenticated phone; absent: no limit. */
  readonly perPhoneLimit?: HttpRateLimit;
  /** Certificate and key (PEM): the API listens on HTTPS and sends HSTS. */
  readonly https?: HttpsMaterial;
}

function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(httpStatusFor(code)).send(errorBody(code, message));
}

function sendResult<Body>(reply: FastifyReply, result: ShopperResult<Body>): FastifyReply {
  if (!result.ok && result.retryAfterS !== undefined) reply.header("retry-after", String(result.retryAfterS)); // PHONE_LOCKED, STORE_LOCKED
  if (!result.ok) return sendError(reply, result.code, result.message);
  return reply.code(200).send(result.body);
}

export function buildShopperApp(deps: ShopperAppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: limits.httpBodyBytesMax,
    // A bad url or an over-long :paymentId (found by the fuzzer: fastify answered 414 in its own shape) gets a listed code too.
    frameworkErrors: (error, _request, reply) => void sendError(reply, "BAD_REQUEST", error.message),
    ...httpsServer(deps.https),
  });
  app.addHook("onSend", securityHeaders({ https: deps.https !== undefined }));

  /** Authenticates the phone, validates the body, then runs the operation. */
  function phoneRoute<Schema extends z.ZodType, Body>(
    schema: Schema,
    run: (phone: PhoneRow, body: z.infer<Schema>, request: FastifyRequest) => Promise<ShopperResult<Body>> | ShopperResult<Body>,
  ) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const auth = await deps.phones.authenticate(request.headers[PHONE_ASSERTION_HEADER]);
      if (!auth.ok) {
        request.log.warn({ code: auth.code, reason: auth.message }, "shopper request refused");
        return sendError(reply, auth.code, auth.message);
      }
      const limited = deps.perPhoneLimit?.refuse(auth.phone.phoneId, request, reply);
      if (limited !== undefined) return limited;
      const parsed = schema.safeParse(request.body);
      if (!parsed.success) return sendError(reply, "BAD_REQUEST", parsed.error.issues[0]?.message ?? "invalid body");
      return sendResult(reply, await run(auth.phone, parsed.data, request));
    };
  }

  function paymentIdOf(request: FastifyRequest): string | undefined {
    const params = request.params as { paymentId?: unknown };
    const parsed = ClientIdSchema.safeParse(params.paymentId);
    return parsed.success ? parsed.data : undefined;
  }

  const badPaymentId: ShopperResult<never> = { ok: false, code: "BAD_REQUEST", message: "bad paymentId" };

  app.post(`${SHOPPER_API_PREFIX}/claims`, phoneRoute(ClaimRequestSchema, (phone, body) => claimCode(deps.settlement, phone, body)));
  app.post(
    `${SHOPPER_API_PREFIX}/payments/:paymentId/approve`,
    phoneRoute(DecisionRequestSchema, (phone, body, request) => {
      const paymentId = paymentIdOf(request);
      return paymentId === undefined ? badPaymentId : approvePayment(deps.settlement, phone, paymentId, body);
    }),
  );
  app.post(
    `${SHOPPER_API_PREFIX}/payments/:paymentId/decline`,
    phoneRoute(DecisionRequestSchema, (phone, body, request) => {
      const paymentId = paymentIdOf(request);
      return paymentId === undefined ? badPaymentId : declinePayment(deps.settlement, phone, paymentId, body);
    }),
  );

  registerShopperPage(app, {
    codeLength: () => newCodeRandomDigits(deps.settlement) + 1,
    codeLengthMin: deps.settlement.codeRandomDigits + 1,
    codeLengthMax: CODE_RANDOM_DIGITS_MAX + 1,
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, "NOT_FOUND", `no route ${request.method} ${request.url}`));
  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody("BAD_REQUEST", error.message ?? "bad request"));
    request.log.error({ err: error }, "shopper request failed");
    return sendError(reply, "INTERNAL", "the server failed; nothing changed, retry with the same requestId");
  });
  return app;
}

export type ShopperApp = ReturnType<typeof buildShopperApp>;
