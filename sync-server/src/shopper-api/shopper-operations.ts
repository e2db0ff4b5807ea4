/**
 * The shopper API's operations without a transport: an authenticated phone, the operation the route
 * names and the parsed body in; the reply (status, Retry-After, JSON body) out. The shopper API's
 * fastify routes call it after verifying the carrier assertion; the carrier gateway calls it
 * directly when both run in one process (`serve --gateway-hop in-process`, the default), so a phone's
 * request is parsed once, the phone read once and nothing is signed or verified: the gateway has
 * authenticated the phone itself. Both callers get the same reply for the same request, which is
 * what keeps the two paths byte for byte alike (test/e2e/gateway-hop.test.ts compares them).
 */
import type { z } from "zod";
import type { PhoneRow } from "../db/repositories/users.js";
import type { HttpRateLimit } from "../http-security/http-rate-limits.js";
import { ClaimRequestSchema, ClientIdSchema, DecisionRequestSchema, SHOPPER_API_PREFIX, errorBody, type ErrorCode } from "@codepay/contract";
import type { SettlementContext } from "../settlement/context.js";
import { approvePayment, claimCode, declinePayment, type ShopperResult } from "../settlement/shopper-requests.js";
import { httpStatusFor } from "./http-status.js";
import { databaseRefusalFor } from "../db/database-faults.js";

export type ShopperOperationName = "claim" | "approve" | "decline";

/** What the route named: the operation and, for approve and decline, the raw `:paymentId`. */
export interface ShopperCall {
  readonly operation: ShopperOperationName;
  readonly paymentId?: unknown;
}

export interface ShopperReply {
  readonly status: number;
  /** Retry-After in whole seconds: PHONE_LOCKED, STORE_LOCKED, RATE_LIMITED. */
  readonly retryAfterS?: number;
  /** Sent as JSON (fastify's serializer: JSON.stringify). */
  readonly body: unknown;
  /** Cache-Control, when the answer must not be kept (the wallet's reads: "no-store"). */
  readonly cacheControl?: string;
}

/** The part of a pino / fastify logger the operations use. */
export interface OperationLog {
  debug(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** The routes the operations serve, for the shopper API's fastify app. */
export const SHOPPER_OPERATION_ROUTES: readonly { readonly operation: ShopperOperationName; readonly path: string }[] = [
  { operation: "claim", path: `${SHOPPER_API_PREFIX}/claims` },
  { operation: "approve", path: `${SHOPPER_API_PREFIX}/payments/:paymentId/approve` },
  { operation: "decline", path: `${SHOPPER_API_PREFIX}/payments/:paymentId/decline` },
];

export const INTERNAL_FAILURE_MESSAGE = "the server failed; nothing changed, retry with the same requestId";

export function errorReply(code: ErrorCode, message: string, retryAfterS?: number): ShopperReply {
  return { status: httpStatusFor(code), ...(retryAfterS !== undefined ? { retryAfterS } : {}), body: errorBody(code, message) };
}

/**
 * The reply to a request that threw: a database fault (PostgreSQL gone, a full disk) is a retryable
 * 503 with Retry-After (SERVER_UNAVAILABLE, STORAGE_FULL), logged as a warning; anything else is a
 * bug, 500 INTERNAL, logged as an error. Nothing changed either way (one transaction).
 */
export function failureReply(error: unknown, log: OperationLog, what: string): ShopperReply {
  const refusal = databaseRefusalFor(error);
  if (refusal !== undefined) {
    log.warn({ code: refusal.code, reason: error instanceof Error ? error.message : String(error) }, `${what}: refused for now`);
    return errorReply(refusal.code, refusal.message, refusal.retryAfterS);
  }
  log.error({ err: error }, what);
  return errorReply("INTERNAL", INTERNAL_FAILURE_MESSAGE);
}

function resultReply(result: ShopperResult<unknown>): ShopperReply {
  if (!result.ok) return errorReply(result.code, result.message, result.retryAfterS);
  return { status: 200, body: result.body };
}

export interface ShopperOperationsDeps {
  readonly settlement: SettlementContext;
  /** Claims, approvals and declines per authenticated phone; absent: no limit. */
  readonly perPhoneLimit?: HttpRateLimit;
}

export class ShopperOperations {
  constructor(private readonly deps: ShopperOperationsDeps) {}

  /**
   * Per-phone limit, then the body's schema, then the operation; the order the shopper API always
   * had. A failure inside is logged and answered (failureReply): nothing changed (one transaction).
   */
  async run(phone: PhoneRow, call: ShopperCall, body: unknown, log: OperationLog): Promise<ShopperReply> {
    const limited = this.deps.perPhoneLimit?.take(phone.phoneId);
    if (limited !== undefined) {
      log.debug({ limit: limited.limit, retryAfterS: limited.retryAfterS }, "rate limited");
      return { status: 429, retryAfterS: limited.retryAfterS, body: limited.body };
    }
    try {
      return await this.operate(phone, call, body);
    } catch (error) {
      return failureReply(error, log, "shopper request failed");
    }
  }

  private async operate(phone: PhoneRow, call: ShopperCall, body: unknown): Promise<ShopperReply> {
    const settlement = this.deps.settlement;
    if (call.operation === "claim") {
      const parsed = parseBody(ClaimRequestSchema, body);
      return parsed.ok ? resultReply(await claimCode(settlement, phone, parsed.value)) : parsed.reply;
    }
    const parsed = parseBody(DecisionRequestSchema, body);
    if (!parsed.ok) return parsed.reply;
    const paymentId = ClientIdSchema.safeParse(call.paymentId);
    if (!paymentId.success) return errorReply("BAD_REQUEST", "bad paymentId");
    if (call.operation === "approve") return resultReply(await approvePayment(settlement, phone, paymentId.data, parsed.value));
    return resultReply(await declinePayment(settlement, phone, paymentId.data, parsed.value));
  }
}

function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): { ok: true; value: z.infer<Schema> } | { ok: false; reply: ShopperReply } {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reply: errorReply("BAD_REQUEST", parsed.error.issues[0]?.message ?? "invalid body") };
}
