/**
 * Messages on the dedicated line, register <-> server. JSON, one object per MQTT publish, QoS 1.
 * Every request carries a `requestId` made by the register and stored in its journal before sending;
 * every reply names it in `inReplyTo`. The server answers a repeated requestId with the stored reply
 * and does nothing twice.
 */
import { duplicateJsonKey } from "./json-duplicate-keys.js";
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

/**
 * Receipt lines that carry amounts must add up to the payment: a line of -9,999,999 on a payment of
 * 100 would print a receipt that says something else than the ledger. Lines without an amount (notes,
 * headings) are free. A payment may carry no lines at all.
 */
export function receiptLinesAddUp(amountMinor: number, lines: readonly { readonly amountMinor?: number | undefined }[] | undefined): boolean {
  if (lines === undefined) return true;
  let priced = false;
  let sum = 0;
  for (const line of lines) {
    if (line.amountMinor === undefined) continue;
    priced = true;
    sum += line.amountMinor;
  }
  return !priced || sum === amountMinor;
}

const LINES_ADD_UP = { message: "the receipt lines' amounts must add up to the payment's amount", path: ["lines"] };

const requestBase = {
  v: z.literal(PROTOCOL_VERSION),
  requestId: ClientIdSchema,
};

/** How many earlier payments one `payment.create` may name in `replaces`. */
export const CREATE_REPLACES_MAX = 8;

/**
 * Register asks for a payment: the server answers `payment.issued` with a one-time code. A register has
 * one open payment at a time: while another is open the server answers `PAYMENT_IN_PROGRESS`, unless
 * the create names it in `replaces` (payments the register has already asked to cancel): those are
 * cancelled in the same transaction, before the new code is issued.
 */
export const CreatePaymentSchema = z.object({
  ...requestBase,
  type: z.literal("payment.create"),
  paymentId: ClientIdSchema,
  amount: MoneySchema,
  lines: z.array(ReceiptLineSchema).max(100).optional(),
  replaces: z.array(ClientIdSchema).max(CREATE_REPLACES_MAX).optional(),
}).refine((create) => receiptLinesAddUp(create.amount.minor, create.lines), LINES_ADD_UP);

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

/**
 * A card swipe pays from the card owner's account. The agent never sends the PAN or track data:
 * only a keyed hash (HMAC-SHA256 with the deployment's card key, hex), the last 4 digits and the expiry.
 * The server answers with `payment.state` (approved, or declined with CARD_UNKNOWN / CARD_EXPIRED /
 * INSUFFICIENT_FUNDS) and settles through the same ledger path as a code payment.
 */
export const CardPaymentSchema = z.object({
  ...requestBase,
  type: z.literal("payment.card"),
  paymentId: ClientIdSchema,
  amount: MoneySchema,
  card: z.object({
    token: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters (HMAC-SHA256)"),
    last4: z.string().regex(/^\d{4}$/),
    /** YYMM as on the track. */
    expiry: z.string().regex(/^\d{4}$/),
  }),
  lines: z.array(ReceiptLineSchema).max(100).optional(),
}).refine((card) => receiptLinesAddUp(card.amount.minor, card.lines), LINES_ADD_UP);

/** Void: reverse a whole approved payment before its period closes. Answered with `payment.state` (state voided). */
export const VoidPaymentSchema = z.object({
  ...requestBase,
  type: z.literal("payment.void"),
  paymentId: ClientIdSchema,
});

/** Refund part or all of an approved payment; `refundId` is made by the register. Answered with `refund.result`. */
export const RefundRequestSchema = z.object({
  ...requestBase,
  type: z.literal("refund.create"),
  refundId: ClientIdSchema,
  paymentId: ClientIdSchema,
  amount: MoneySchema,
});

/** X report (running totals) or Z report (closes the register's period). Answered with `report`. A repeated Z requestId returns the same report. */
export const ReportRequestSchema = z.object({
  ...requestBase,
  type: z.literal("report.request"),
  kind: z.enum(["x", "z"]),
});

export const RegisterRequestSchema = z.discriminatedUnion("type", [
  CreatePaymentSchema,
  CancelPaymentSchema,
  PaymentStatusRequestSchema,
  ResultAckSchema,
  CardPaymentSchema,
  VoidPaymentSchema,
  RefundRequestSchema,
  ReportRequestSchema,
]);

export type CreatePayment = z.infer<typeof CreatePaymentSchema>;
export type CancelPayment = z.infer<typeof CancelPaymentSchema>;
export type PaymentStatusRequest = z.infer<typeof PaymentStatusRequestSchema>;
export type ResultAck = z.infer<typeof ResultAckSchema>;
export type CardPayment = z.infer<typeof CardPaymentSchema>;
export type VoidPayment = z.infer<typeof VoidPaymentSchema>;
export type RefundRequest = z.infer<typeof RefundRequestSchema>;
export type ReportRequest = z.infer<typeof ReportRequestSchema>;
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

/**
 * Where a payment stands on the server. pending -> claimed -> approved | declined;
 * pending|claimed -> expired | cancelled; approved -> voided (reversed in full before the period closes).
 * Refunds do not change the state; they are their own records (`refund.result`).
 */
export const PAYMENT_STATES = ["pending", "claimed", "approved", "declined", "expired", "cancelled", "voided"] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];
export const FINAL_PAYMENT_STATES: readonly PaymentState[] = ["approved", "declined", "expired", "cancelled", "voided"];

/** How a payment was paid: a phone code or an enrolled card. */
export const TENDERS = ["code", "card"] as const;
export type Tender = (typeof TENDERS)[number];

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
  /** Absent means "code" (the only tender before card payments). */
  tender: z.enum(TENDERS).optional(),
  /** Card payments: the last 4 digits, for the receipt. Never more. */
  cardLast4: z.string().regex(/^\d{4}$/).optional(),
});

/** Reply to `refund.create`. A refused refund is an `error` reply instead (REFUND_EXCEEDS_ORIGINAL, ...). */
export const RefundResultSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("refund.result"),
  inReplyTo: ClientIdSchema,
  refundId: ClientIdSchema,
  paymentId: ClientIdSchema,
  amount: MoneySchema,
  /** All refunds and voids of this payment so far, including this one. */
  reversedTotalMinor: z.number().int().nonnegative(),
  reference: z.string(),
  updatedAt: z.number().int(),
});

const CountAndMinorSchema = z.object({ count: z.number().int().nonnegative(), minor: z.number().int().nonnegative() });

/** Reply to `report.request`: totals of one register's period, per currency and tender. */
export const ReportSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("report"),
  inReplyTo: ClientIdSchema,
  kind: z.enum(["x", "z"]),
  registerId: z.string(),
  storeId: z.string(),
  /** Sequence number of the period (1, 2, ...); a Z report closes it and the next period opens. */
  periodNumber: z.number().int().positive(),
  openedAt: z.number().int(),
  /** Only on Z reports. */
  closedAt: z.number().int().optional(),
  totals: z.array(
    z.object({
      currency: MoneySchema.shape.currency,
      tender: z.enum(TENDERS),
      payments: CountAndMinorSchema,
      voids: CountAndMinorSchema,
      refunds: CountAndMinorSchema,
      netMinor: z.number().int(),
    }),
  ),
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
  RefundResultSchema,
  ReportSchema,
]);

export type PaymentIssued = z.infer<typeof PaymentIssuedSchema>;
export type PaymentStateMessage = z.infer<typeof PaymentStateSchema>;
export type RequestError = z.infer<typeof RequestErrorSchema>;
export type RefundResult = z.infer<typeof RefundResultSchema>;
export type Report = z.infer<typeof ReportSchema>;
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** A register's device as its agent reports it (fleet health): its line, and for the printer its own status. */
export const DEVICE_HEALTH_STATES = ["online", "offline", "paper-near-end", "paper-end", "cover-open"] as const;
export type DeviceHealthState = (typeof DEVICE_HEALTH_STATES)[number];
export const FLEET_DEVICES = ["display", "printer", "cardReader"] as const;
export type FleetDevice = (typeof FLEET_DEVICES)[number];
const DeviceHealthSchema = z.enum(DEVICE_HEALTH_STATES);

/**
 * Presence on `.../status`, retained. The register publishes online (with its agent's version and its
 * configured devices' states, again whenever one changes); its last will, or its goodbye, publishes
 * offline. Small on purpose: the server keeps the latest per register (fleet health).
 */
export const PresenceSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal("presence"),
  state: z.enum(["online", "offline"]),
  at: z.number().int().optional(),
  agentVersion: z.string().regex(/^[0-9A-Za-z.+_-]{1,32}$/).optional(),
  devices: z.object({ display: DeviceHealthSchema.optional(), printer: DeviceHealthSchema.optional(), cardReader: DeviceHealthSchema.optional() }).strict().optional(),
});
export type Presence = z.infer<typeof PresenceSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: "MALFORMED_MESSAGE"; message: string; inReplyTo?: string };

/** Parses bytes off the wire into a typed message; never throws. */
export function parseMessage<T>(schema: z.ZodType<T>, payload: Buffer | string): ParseResult<T> {
  let json: unknown;
  const text = typeof payload === "string" ? payload : payload.toString("utf8");
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: "MALFORMED_MESSAGE", message: "payload is not JSON" };
  }
  const duplicate = duplicateJsonKey(text);
  if (duplicate !== undefined) return { ok: false, code: "MALFORMED_MESSAGE", message: `the key ${JSON.stringify(duplicate)} appears twice in one object` };
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const requestId = typeof json === "object" && json !== null ? (json as Record<string, unknown>)["requestId"] : undefined;
  const inReplyTo = typeof requestId === "string" && ClientIdSchema.safeParse(requestId).success ? requestId : undefined;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return { ok: false, code: "MALFORMED_MESSAGE", message: `${where}${issue?.message ?? "invalid"}`, ...(inReplyTo ? { inReplyTo } : {}) };
}
