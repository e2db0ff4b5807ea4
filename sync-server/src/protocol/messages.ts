/**
 * Messages on the dedicated line, register <-> server. JSON, one object per MQTT publish, QoS 1.
 * Every request carries a `requestId` made by the register and stored in its journal before sending;
 * every reply names it in `inReplyTo`. The server answers a repeated requestId with the stored reply
 * and does nothing twice.
 */
import { z } from "zod";
import { AMOUNT_MINOR_MAX, CURRENCY_CODES } from "./money.js";
import { ERROR_CODES } from "./errors.js";

export const PROTOCOL_VERSION = 1 as const;

/** Client-made ids: ULIDs or UUIDs in practice; any 8-64 url-safe characters are accepted. */
export const ClientIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 characters of A-Z a-z 0-9 _ -");

export const MoneySchema = z.object({
  minor: z.number().int().positive().max(AMOUNT_MINOR_MAX),
  currency: z.enum(CURRENCY_CODES as [string, ...string[]]).transform((c) => c as (typeof CURRENCY_CODES)[number]),
});

export const ReceiptLineSchema = z.object({
  text: z.string().min(1).max(40),
  amountMinor: z.number().int().min(-AMOUNT_MINOR_MAX).max(AMOUNT_MINOR_MAX).optional(),
});

const requestBase = {
  v: z.literal(PROTOCOL_VERSION),
  requestId: ClientIdSchema,
};

/** Register asks for a payment: the server answers `payment.issued` with a one-time code. */
export const CreatePaymentSchema = z.object({
  ...requestBase,
  type: z.literal("payment.create"),
  paymentId: ClientIdSchema,
  amount: MoneySchema,
  lines: z.array(ReceiptLineSchema).max(100).optional(),
});

/** Register cancels a payment that is not settled yet: the server answers `payment.state`. */
export const CancelPaymentSchema = z.object({
  ...requestBase,
  type: z.literal("payment.cancel"),
  paymentId: ClientIdSchema,
});

/** Register asks where a payment stands (after a restart, say): the server answers `payment.state`. */
export const PaymentStatusRequestSchema = z.object({
  ...requestBase,
  type: z.literal("payment.status"),
  paymentId: ClientIdSchema,
});

/** Register confirms it has stored (and acted on) a result, so the server stops resending it. */
export const ResultAckSchema = z.object({
  ...requestBase,
  type: z.literal("result.ack"),
  paymentId: ClientIdSchema,
  resultId: ClientIdSchema,
});

export const RegisterRequestSchema = z.discriminatedUnion("type", [
  CreatePaymentSchema,
  CancelPaymentSchema,
  PaymentStatusRequestSchema,
  ResultAckSchema,
]);

export type CreatePayment = z.infer<typeof CreatePaymentSchema>;
export type CancelPayment = z.infer<typeof CancelPaymentSchema>;
export type PaymentStatusRequest = z.infer<typeof PaymentStatusRequestSchema>;
export type ResultAck = z.infer<typeof ResultAckSchema>;
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

/** Where a payment stands on the server. pending -> claimed -> approved | declined; pending|claimed -> expired | cancelled. */
export const PAYMENT_STATES = ["pending", "claimed", "approved", "declined", "expired", "cancelled"] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];
export const FINAL_PAYMENT_STATES: readonly PaymentState[] = ["approved", "declined", "expired", "cancelled"];

export function isFinalPaymentState(state: PaymentState): boolean {
  return FINAL_PAYMENT_STATES.includes(state);
}

/** Reply to `payment.create`. */
export const PaymentIssuedSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("payment.issued"),
  inReplyTo: ClientIdSchema,
  paymentId: ClientIdSchema,
  /** The digits the shopper types, check digit last. */
  code: z.string().regex(/^\d{4,12}$/),
  amount: MoneySchema,
  /** Epoch milliseconds. */
  expiresAt: z.number().int(),
  storeName: z.string(),
});

/**
 * Where a payment stands. Sent as the reply to `payment.cancel` and `payment.status`, and pushed
 * unasked (no inReplyTo) when a payment reaches a final state; a pushed one carries a `resultId`
 * that the register acknowledges with `result.ack`.
 */
export const PaymentStateSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("payment.state"),
  inReplyTo: ClientIdSchema.optional(),
  resultId: ClientIdSchema.optional(),
  paymentId: ClientIdSchema,
  state: z.enum(PAYMENT_STATES),
  amount: MoneySchema,
  /** Why a payment was declined, expired or cancelled: an error code. */
  reason: z.enum(ERROR_CODES).optional(),
  /** Ledger reference of the settling transfer, for approved payments. */
  reference: z.string().optional(),
  /** Epoch milliseconds of the last state change. */
  updatedAt: z.number().int(),
});

/** A request the server refused: it changed nothing. */
export const RequestErrorSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("error"),
  /** Absent when the request was too broken to read its id. */
  inReplyTo: ClientIdSchema.optional(),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
});

export const ServerMessageSchema = z.discriminatedUnion("type", [
  PaymentIssuedSchema,
  PaymentStateSchema,
  RequestErrorSchema,
]);

export type PaymentIssued = z.infer<typeof PaymentIssuedSchema>;
export type PaymentStateMessage = z.infer<typeof PaymentStateSchema>;
export type RequestError = z.infer<typeof RequestErrorSchema>;
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** Presence on `.../status`, retained. The register publishes online; its last will publishes offline. */
export const PresenceSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("presence"),
  state: z.enum(["online", "offline"]),
  at: z.number().int().optional(),
});
export type Presence = z.infer<typeof PresenceSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: "MALFORMED_MESSAGE"; message: string; inReplyTo?: string };

/** Parses bytes off the wire into a typed message; never throws. */
export function parseMessage<T>(schema: z.ZodType<T>, payload: Buffer | string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
  } catch {
    return { ok: false, code: "MALFORMED_MESSAGE", message: "payload is not JSON" };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const requestId = typeof json === "object" && json !== null ? (json as Record<string, unknown>)["requestId"] : undefined;
  const inReplyTo = typeof requestId === "string" && ClientIdSchema.safeParse(requestId).success ? requestId : undefined;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return { ok: false, code: "MALFORMED_MESSAGE", message: `${where}${issue?.message ?? "invalid"}`, ...(inReplyTo ? { inReplyTo } : {}) };
}
