/**
 * The shopper API (phones, behind the carrier gateway). buildShopperApp returns an unstarted
 * fastify instance (STYLE.md §7): tests use inject(), the composition root calls listen().
 */
import { lightRequestLogging } from "../http-security/request-logging.js";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import { CODE_RANDOM_DIGITS_MAX, PHONE_ASSERTION_HEADER, SHOPPER_API_PREFIX, WALLET_PATH, WALLET_PAYMENTS_PATH, errorBody, type ErrorCode } from "@codepay/contract";
import type { PhoneRow } from "../db/repositories/users.js";
import { readWallet, readWalletHistory, readWalletReceipt } from "./wallet-reads.js";
import { newCodeRandomDigits, type SettlementContext } from "../settlement/context.js";
import { httpStatusFor } from "./http-status.js";
import { httpsServer, type HttpsMaterial } from "../http-security/https-server.js";
import { refusingDuplicateKeys } from "./json-body.js";
import { frameworkErrorOptions } from "../http-security/framework-errors.js";
import { securityHeaders } from "../http-security/security-headers.js";
import { registerShopperPage } from "../shopper-page/shopper-page.js";
import type { PhoneAuthenticator } from "./phone-authentication.js";
import { INTERNAL_FAILURE_MESSAGE, SHOPPER_OPERATION_ROUTES, type ShopperOperationName, type ShopperOperations, type ShopperReply } from "./shopper-operations.js";
import { sendShopperReply } from "./shopper-reply.js";

export interface ShopperAppDeps {
  readonly settlement: SettlementContext;
  /** Claim, approve, decline (with the per-phone limit); the carrier gateway may share them in-process. */
  readonly operations: ShopperOperations;
  readonly phones: PhoneAuthenticator;
  readonly logger: Logger;
  /** Certificate and key (PEM): the API listens on HTTPS and sends HSTS. */
  readonly https?: HttpsMaterial;
}

function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(httpStatusFor(code)).send(errorBody(code, message));
}

export function buildShopperApp(deps: ShopperAppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    ...lightRequestLogging,
    bodyLimit: limits.httpBodyBytesMax,
    // A bad url or an over-long :paymentId (found by the fuzzer: fastify answered 414 in its own shape) gets a listed code too.
    ...frameworkErrorOptions({ https: deps.https !== undefined }),
    ...httpsServer(deps.https),
  });
  app.addHook("onSend", securityHeaders({ https: deps.https !== undefined }));
  const fastifyJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, refusingDuplicateKeys(fastifyJson));

  /** Authenticates the phone by its carrier assertion, then answers for it. */
  function phoneRoute(answer: (phone: PhoneRow, request: FastifyRequest) => Promise<ShopperReply>) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const auth = await deps.phones.authenticate(request.headers[PHONE_ASSERTION_HEADER]);
      if (!auth.ok) {
        request.log.warn({ code: auth.code, reason: auth.message }, "shopper request refused");
        return sendError(reply, auth.code, auth.message);
      }
      return sendShopperReply(reply, await answer(auth.phone, request));
    };
  }

  /** The operation (per-phone limit, body, settlement). */
  const operationRoute = (operation: ShopperOperationName) =>
    phoneRoute((phone, request) => deps.operations.run(phone, { operation, paymentId: (request.params as { paymentId?: unknown }).paymentId }, request.body, request.log));

  for (const route of SHOPPER_OPERATION_ROUTES) app.post(route.path, operationRoute(route.operation));
  // The wallet (contract/src/wallet.ts): reads of the phone's own user, straight from the database.
  const db = deps.settlement.db;
  app.get(`${SHOPPER_API_PREFIX}${WALLET_PATH}`, phoneRoute((phone) => readWallet(db, phone)));
  app.get(`${SHOPPER_API_PREFIX}${WALLET_PAYMENTS_PATH}`, phoneRoute((phone, request) => readWalletHistory(db, phone, request.query)));
  app.get(`${SHOPPER_API_PREFIX}${WALLET_PAYMENTS_PATH}/:paymentId`, phoneRoute((phone, request) => readWalletReceipt(db, phone, (request.params as { paymentId?: unknown }).paymentId)));

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
    return sendError(reply, "INTERNAL", INTERNAL_FAILURE_MESSAGE);
  });
  return app;
}

export type ShopperApp = ReturnType<typeof buildShopperApp>;
