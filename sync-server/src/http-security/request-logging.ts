/**
 * Logging options for the HTTP apps on the payment path (gateway, shopper API): no child logger per
 * request and no "incoming request" / "request completed" pair per request (issue 14: a child logger
 * per request was ~2 % of the server's CPU at 32 registers). What happened is logged once, where it
 * happens, at the level it deserves (refusals warn, failures error), by the app's own logger.
 */
import { LogController, type FastifyBaseLogger } from "fastify";

export const lightRequestLogging = {
  // fastify 5.12 deprecates the top-level `disableRequestLogging` (FSTDEP023, printed at every start).
  logController: new LogController({ disableRequestLogging: true }),
  childLoggerFactory: (logger: FastifyBaseLogger): FastifyBaseLogger => logger,
} as const;
