/**
 * Rate limits on the HTTP listeners (the defaults and where each applies), answering 429
 * RATE_LIMITED with Retry-After. The carrier gateway is the public edge: every request is limited
 * per client address before anything else runs (no database lookup, no signature). Phones behind
 * one carrier NAT share an address, so that limit is loose; the tight one is per phone, applied by
 * the shopper API after the carrier assertion names the phone. Pairing (agents call the shopper API
 * directly) is limited per address: each attempt costs a scrypt hash.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../clock.js";
import { errorBody } from "@codepay/contract";
import { RateLimiter, type RateLimit } from "./rate-limiter.js";

export { addressKey } from "../auth/client-address.js";

export interface HttpRateLimits {
  /** Every request to the carrier gateway, per client address. */
  readonly gatewayPerAddress: RateLimit;
  /** Shopper API requests per authenticated phone (claim, approve, decline). */
  readonly perPhone: RateLimit;
  /** POST /api/v1/pairings per client address. */
  readonly pairingPerAddress: RateLimit;
}

/**
 * A shopper needs 2-3 requests per payment, by hand; `codepay-sim scenario` pays through one phone
 * at several payments a second. A carrier NAT may put thousands of phones on one address.
 */
export const DEFAULT_HTTP_RATE_LIMITS: HttpRateLimits = {
  gatewayPerAddress: { burst: 600, perMinute: 6_000 },
  perPhone: { burst: 60, perMinute: 600 },
  pairingPerAddress: { burst: 5, perMinute: 10 },
};

/** Keys (addresses, phones) remembered per limiter; past this the least recently seen is forgotten. */
export const RATE_LIMIT_KEYS_MAX = 100_000;

/** A limiter on the given clock that answers 429 RATE_LIMITED with Retry-After (whole seconds, rounded up). */
export class HttpRateLimit {
  private readonly limiter: RateLimiter;
  constructor(
    limit: RateLimit,
    private readonly clock: Clock,
    private readonly what: string,
  ) {
    this.limiter = new RateLimiter(limit, RATE_LIMIT_KEYS_MAX);
  }

  /** Takes a token for `key`. Undefined: go on. Otherwise the refusal (transport-free: the shopper operations answer it themselves). */
  take(key: string): RateLimitRefusal | undefined {
    const verdict = this.limiter.take(key, this.clock());
    if (verdict.allowed) return undefined;
    const retryAfterS = Math.max(1, Math.ceil(verdict.retryAfterMs / 1_000));
    return { limit: this.what, retryAfterS, body: errorBody("RATE_LIMITED", `too many requests (${this.what}): retry in ${retryAfterS} s`) };
  }

  /** Undefined: go on. Otherwise the 429 reply has been sent; return it from the handler or hook. */
  refuse(key: string, request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
    const refusal = this.take(key);
    if (refusal === undefined) return undefined;
    request.log.debug({ limit: refusal.limit, retryAfterS: refusal.retryAfterS }, "rate limited");
    return reply.code(429).header("retry-after", String(refusal.retryAfterS)).send(refusal.body);
  }
}

/** A request over its limit: 429 RATE_LIMITED with Retry-After (whole seconds, rounded up). */
export interface RateLimitRefusal {
  readonly limit: string;
  readonly retryAfterS: number;
  readonly body: ReturnType<typeof errorBody>;
}
