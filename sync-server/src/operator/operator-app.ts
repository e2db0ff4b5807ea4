/**
 * The operator listener (issue 18 item 1, issue 20): `/metrics` and `/health` for the people and
 * tools that run the server, on its own port, bound to 127.0.0.1 unless configured otherwise, never
 * on the shopper API's or the carrier gateway's listener. With a bearer token configured, every
 * request must carry `Authorization: Bearer <token>` (Prometheus' `authorization` / `bearer_token_file`).
 * buildOperatorApp returns an unstarted fastify instance (STYLE.md §7).
 */
import Fastify from "fastify";
import { errorBody } from "@codepay/contract";
import { lightRequestLogging } from "../http-security/request-logging.js";
import { frameworkErrorOptions } from "../http-security/framework-errors.js";
import { securityHeaders } from "../http-security/security-headers.js";
import { httpsServer, type HttpsMaterial } from "../http-security/https-server.js";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import { bearerTokenCheck } from "./bearer-token.js";

export interface OperatorAppDeps {
  readonly logger: Logger;
  /** When set, `/metrics` and `/health` answer only a request with `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly https?: HttpsMaterial;
}

/** The paths the bearer token guards. */
export const OPERATOR_TOKEN_PATHS: readonly string[] = ["/metrics", "/health"];

export function buildOperatorApp(deps: OperatorAppDeps) {
  const https = deps.https !== undefined;
  const app = Fastify({
    loggerInstance: deps.logger,
    ...lightRequestLogging,
    bodyLimit: limits.httpBodyBytesMax,
    ...frameworkErrorOptions({ https }),
    ...httpsServer(deps.https),
  });
  app.addHook("onSend", securityHeaders({ https }));
  if (deps.token !== undefined) {
    const tokenMatches = bearerTokenCheck(deps.token);
    app.addHook("onRequest", async (request, reply) => {
      const path = request.url.split("?")[0] ?? "";
      if (!OPERATOR_TOKEN_PATHS.includes(path)) return;
      if (tokenMatches(request.headers.authorization)) return;
      request.log.warn({ path }, "operator request without the right bearer token");
      await reply.code(401).header("www-authenticate", 'Bearer realm="codepay-operator"').send(errorBody("OPERATOR_UNAUTHORIZED", "this listener needs Authorization: Bearer <operator token>"));
    });
  }
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody("NOT_FOUND", `no route ${request.method} ${request.url}`)));
  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody("BAD_REQUEST", error.message ?? "bad request"));
    request.log.error({ err: error }, "operator request failed");
    return reply.code(500).send(errorBody("INTERNAL", "the operator request failed; nothing was changed"));
  });
  return app;
}

export type OperatorApp = ReturnType<typeof buildOperatorApp>;
