/**
 * The shopper API contract: phone -> carrier gateway -> sync-server.
 *
 * The phone calls the carrier gateway with its subscriber credential:
 *   Authorization: Bearer <subscriber credential>
 * The gateway authenticates the phone, drops the credential, and forwards the same method, path and
 * body to the shopper API with a signed identity assertion in PHONE_ASSERTION_HEADER. The shopper API
 * refuses any request without a valid assertion.
 *
 *   POST /api/v1/claims                        { requestId, code }  -> ClaimResponse
 *   POST /api/v1/payments/:paymentId/approve   { requestId, pin? }  -> ApproveResponse (pin above the PIN threshold)
 *   POST /api/v1/payments/:paymentId/decline   { requestId }        -> DeclineResponse
 *
 * Errors: HTTP 4xx/5xx with ErrorBody { error: { code, message } } (codes in errors.ts).
 * A repeated requestId from the same phone returns the stored response.
 */
import { z } from "zod";
import { ClientIdSchema, MoneySchema } from "./messages.js";

export const PHONE_ASSERTION_HEADER = "codepay-phone-assertion";
export const SHOPPER_API_PREFIX = "/api/v1";

/** What the carrier signs (Ed25519). Encoded as base64url(JSON) + "." + base64url(signature). */
export const PhoneAssertionSchema = z.object({
  carrier: z.string().regex(/^[a-z0-9-]{1,32}$/),
  phoneId: z.string().min(3).max(32),
  /** Issued at, epoch milliseconds. */
  iat: z.number().int(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});
export type PhoneAssertion = z.infer<typeof PhoneAssertionSchema>;

export const ClaimRequestSchema = z.object({
  requestId: ClientIdSchema,
  code: z.string().min(1).max(32),
});
export type ClaimRequest = z.infer<typeof ClaimRequestSchema>;

export const ClaimResponseSchema = z.object({
  paymentId: ClientIdSchema,
  storeName: z.string(),
  registerId: z.string(),
  registerName: z.string(),
  amount: MoneySchema,
  expiresAt: z.number().int(),
  /** The approval must carry the shopper's PIN (the amount is at or above the server's PIN threshold). */
  pinRequired: z.boolean().optional(),
});
export type ClaimResponse = z.infer<typeof ClaimResponseSchema>;

export const DecisionRequestSchema = z.object({
  requestId: ClientIdSchema,
  /** Above the PIN threshold: the shopper's PIN (4-8 digits). Never stored or logged; not part of the idempotency hash. */
  pin: z.string().regex(/^\d{4,8}$/).optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

export const ApproveResponseSchema = z.object({
  paymentId: ClientIdSchema,
  state: z.literal("approved"),
  amount: MoneySchema,
  reference: z.string(),
});
export type ApproveResponse = z.infer<typeof ApproveResponseSchema>;

export const DeclineResponseSchema = z.object({
  paymentId: ClientIdSchema,
  state: z.literal("declined"),
});
export type DeclineResponse = z.infer<typeof DeclineResponseSchema>;
