/**
 * The cashier API for the POS application (contracts.md, "Cashier API"): node:http on loopback.
 *   POST /v1/payments                     -> 201 { payment }; 409 PAYMENT_IN_PROGRESS while another is open
 *                                            (body `replace: true`: that one is cancelled first)
 *   GET  /v1/payments?state=&from=&to=&limit=&before= -> { payments, next? }  (journal, newest first, paged)
 *   GET  /v1/payments/:paymentId          -> { payment }
 *   POST /v1/payments/:paymentId/cancel   -> { payment }
 *   POST /v1/payments/:paymentId/void     { reason? } -> { payment }  (answered when the server replies; a slip is printed)
 *   POST /v1/payments/:paymentId/reprint  -> 202 { payment }  (a copy of the receipt marked REPRINT is queued; 409 NO_RECEIPT)
 *   POST /v1/payments/:paymentId/refunds  { refundId?, amountMinor, reason? } -> 201 { payment, refund }  (a slip is printed)
 *   POST /v1/reports/x | /v1/reports/z    { requestId? } -> { report, printed } (printed on the receipt printer)
 *   GET  /v1/events                       -> server-sent events `payment`
 *   GET  /v1/health                       -> { mqtt, devices, faults, outboxDepth }
 *   POST /v1/payments answers 201 { payment, warnings? }: device faults the cashier should know (no receipt now, a missing device)
 *   GET  /  (and /assets/*)               the cashier panel page (cashier-panel/)
 * Errors: { error: { code, message } } with the protocol's codes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import { AMOUNT_MINOR_MAX, CURRENCY_CODES, ClientIdSchema, ReceiptLineSchema, receiptLinesAddUp } from "@codepay/contract";
import type { CurrencyCode } from "@codepay/contract";
import { paymentsPageDefault, paymentsPageMax, receiptLinesMax } from "../core/limits.js";
import { AGENT_PAYMENT_STATES, toPaymentView } from "../core/payment.js";
import type { CommandResult, PaymentRuntime } from "../shell/payment-runtime.js";
import { HttpError, readJson, sendError, sendJson } from "./http-json.js";
import { EventStream } from "./event-stream.js";
import { serveCashierPanel } from "../cashier-panel/cashier-panel.js";
import type { DeviceFault } from "../core/device-faults.js";

export interface HealthView {
  mqtt: "up" | "down";
  /** Per device: online, offline, stopped, absent; the printer also paper-end, cover-open, printer-offline. */
  devices: Record<string, string>;
  /** What someone must act on, with words in English and Japanese (device-faults.ts). */
  faults: readonly DeviceFault[];
  /** Requests journaled and not yet answered by the server. */
  outboxDepth: number;
}

export interface CashierApiOptions {
  readonly runtime: PaymentRuntime;
  readonly currency: CurrencyCode;
  readonly health: () => HealthView;
  /** Subscribes to device changes (returns the unsubscribe): the event stream sends `health` on each. */
  readonly onHealthChange?: ((listener: () => void) => () => void) | undefined;
  /** Faults to warn about when a payment of this tender starts (the payment still starts). */
  readonly paymentWarnings?: ((tender: "code" | "card") => readonly DeviceFault[]) | undefined;
  readonly logger: Logger;
}

const CreatePaymentBodySchema = z.strictObject({
  amountMinor: z.number().int().positive().max(AMOUNT_MINOR_MAX),
  currency: z.enum(CURRENCY_CODES as [CurrencyCode, ...CurrencyCode[]]).optional(),
  paymentId: ClientIdSchema.optional(),
  lines: z.array(ReceiptLineSchema).max(receiptLinesMax).optional(),
  /** "card": the payment waits for a swipe on the card reader. */
  tender: z.enum(["code", "card"]).optional(),
  /** true: cancel the payment still open on this register first (else PAYMENT_IN_PROGRESS). */
  replace: z.boolean().optional(),
}).refine((body) => receiptLinesAddUp(body.amountMinor, body.lines), { message: "the receipt lines' amounts must add up to amountMinor", path: ["lines"] });

/** The cashier's reason for a refund or void: printed on its slip, kept in the journal, never sent to the server. */
const ReasonSchema = z.string().trim().min(1).max(60);

const RefundBodySchema = z.strictObject({
  refundId: ClientIdSchema.optional(),
  amountMinor: z.number().int().positive().max(AMOUNT_MINOR_MAX),
  reason: ReasonSchema.optional(),
});

const VoidBodySchema = z.strictObject({ reason: ReasonSchema.optional() });

/** GET /v1/payments?state=&from=&to=&limit=&before= (from/to: epoch ms or an ISO date; before: a page's `next`). */
const TimeParamSchema = z.union([z.string().regex(/^\d{1,15}$/).transform(Number), z.iso.datetime({ offset: true }).transform((t) => Date.parse(t)), z.iso.date().transform((t) => Date.parse(t))]);
const ListQuerySchema = z.strictObject({
  state: z.enum(AGENT_PAYMENT_STATES).optional(),
  from: TimeParamSchema.optional(),
  to: TimeParamSchema.optional(),
  limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(paymentsPageMax)).optional(),
  before: z.string().max(200).optional(),
});

function encodeCursor(payment: { createdAt: number; paymentId: string }): string {
  return Buffer.from(JSON.stringify([payment.createdAt, payment.paymentId])).toString("base64url");
}

function decodeCursor(text: string): { created: number; paymentId: string } {
  try {
    const [created, paymentId] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown[];
    if (typeof created === "number" && typeof paymentId === "string") return { created, paymentId };
  } catch {
    // falls through to the error
  }
  throw new HttpError(400, "BAD_REQUEST", "before: not a cursor from a previous page");
}

/** A Z retried with the same requestId is the same Z (the server stores it); without one, each call is new. */
const ReportBodySchema = z.strictObject({ requestId: ClientIdSchema.optional() });

function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new HttpError(400, "BAD_REQUEST", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
}

export class CashierApi {
  readonly #server: http.Server;
  readonly #events: EventStream;

  constructor(private readonly options: CashierApiOptions) {
    this.#events = new EventStream(options.runtime, options.logger, { health: options.health, onHealthChange: options.onHealthChange });
    this.#server = http.createServer((request, response) => {
      this.#route(request, response).catch((error: unknown) => this.#fail(response, error));
    });
  }

  /** Resolves with the base url, e.g. http://127.0.0.1:7070 (port 0 picks a free port). */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        const address = this.#server.address() as AddressInfo;
        const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
        resolve(`http://${shownHost}:${address.port}`);
      });
    });
  }

  async close(): Promise<void> {
    this.#events.closeAll();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://cashier");
    const parts = url.pathname.split("/").filter(Boolean);
    const method = request.method ?? "GET";
    if (method === "GET" && (await serveCashierPanel(url.pathname, response, { currency: this.options.currency }))) return; // the cashier panel page
    if (parts[0] !== "v1") throw new HttpError(404, "NOT_FOUND", `no route ${method} ${url.pathname}`);
    const [, resource, paymentId, action] = parts;
    if (method === "GET" && resource === "health" && parts.length === 2) return sendJson(response, 200, this.options.health());
    if (method === "GET" && resource === "events" && parts.length === 2) return this.#events.open(request, response);
    if (resource === "payments") {
      if (method === "POST" && parts.length === 2) return this.#create(request, response);
      if (method === "GET" && parts.length === 2) return this.#list(url.searchParams, response);
      if (method === "GET" && parts.length === 3 && paymentId) return this.#get(paymentId, response);
      if (method === "POST" && parts.length === 4 && paymentId && action === "cancel") return this.#reply(response, 200, this.options.runtime.cancelPayment(paymentId));
      if (method === "POST" && parts.length === 4 && paymentId && action === "void") {
        const body = parseBody(VoidBodySchema, await readJson(request));
        return this.#reply(response, 200, await this.options.runtime.voidPayment(paymentId, body.reason));
      }
      if (method === "POST" && parts.length === 4 && paymentId && action === "refunds") return this.#refund(paymentId, request, response);
      if (method === "POST" && parts.length === 4 && paymentId && action === "reprint") return this.#reply(response, 202, this.options.runtime.reprintReceipt(paymentId));
    }
    if (resource === "reports" && method === "POST" && parts.length === 3 && (paymentId === "x" || paymentId === "z")) return this.#report(paymentId, request, response);
    throw new HttpError(404, "NOT_FOUND", `no route ${method} ${url.pathname}`);
  }

  async #create(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const parsed = CreatePaymentBodySchema.safeParse(await readJson(request));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, "BAD_REQUEST", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
    }
    const body = parsed.data;
    const result = await this.options.runtime.createPayment({
      paymentId: body.paymentId,
      amount: { minor: body.amountMinor, currency: body.currency ?? this.options.currency },
      lines: body.lines ?? [],
      tender: body.tender,
      replace: body.replace,
    });
    if (!result.ok) return sendError(response, result.refusal.code, result.refusal.message);
    const warnings = this.options.paymentWarnings?.(body.tender ?? "code") ?? [];
    sendJson(response, 201, { payment: toPaymentView(result.payment), ...(warnings.length > 0 ? { warnings } : {}) });
  }

  async #refund(paymentId: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = parseBody(RefundBodySchema, await readJson(request));
    const result = await this.options.runtime.refundPayment(paymentId, { refundId: body.refundId, amountMinor: body.amountMinor, note: body.reason });
    if (!result.ok) return sendError(response, result.refusal.code, result.refusal.message);
    const view = toPaymentView(result.payment);
    sendJson(response, 201, { payment: view, refund: view.refunds.find((r) => r.refundId === result.refundId) });
  }

  async #report(kind: "x" | "z", request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = parseBody(ReportBodySchema, await readJson(request));
    const result = await this.options.runtime.requestReport(kind, body.requestId);
    if (!result.ok) return sendError(response, result.refusal.code, result.refusal.message);
    const { v: _version, type: _type, inReplyTo, ...report } = result.report;
    sendJson(response, 200, { report: { ...report, requestId: inReplyTo }, printed: result.printed });
  }

  /** The register's payments from the journal, newest first; `next` is the cursor of the following page. */
  #list(params: URLSearchParams, response: ServerResponse): void {
    const query = parseBody(ListQuerySchema, Object.fromEntries(params));
    const before = query.before === undefined ? undefined : decodeCursor(query.before);
    const limit = query.limit ?? paymentsPageDefault;
    const page = this.options.runtime.listPayments({ state: query.state, fromMs: query.from, toMs: query.to, before, limit: limit + 1 });
    const shown = page.slice(0, limit);
    const last = shown.at(-1);
    sendJson(response, 200, { payments: shown.map(toPaymentView), ...(page.length > limit && last ? { next: encodeCursor(last) } : {}) });
  }

  #get(paymentId: string, response: ServerResponse): void {
    const payment = this.options.runtime.getPayment(paymentId);
    if (!payment) throw new HttpError(404, "PAYMENT_NOT_FOUND", `no payment ${paymentId}`);
    sendJson(response, 200, { payment: toPaymentView(payment) });
  }

  #reply(response: ServerResponse, status: number, result: CommandResult): void {
    if (!result.ok) return sendError(response, result.refusal.code, result.refusal.message);
    sendJson(response, status, { payment: toPaymentView(result.payment) });
  }

  #fail(response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (error instanceof HttpError) {
      sendJson(response, error.status, { error: { code: error.code, message: error.message } });
      return;
    }
    // The journal's disk is full (issue 24): nothing was accepted (a payment is in the journal before
    // the cashier hears of it), so refuse with words the cashier reads (ERROR_WORDS.STORAGE_FULL).
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "SQLITE_FULL" || code === "ENOSPC") {
      this.options.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, "journal disk full: new payments refused");
      sendError(response, "STORAGE_FULL", "the register's disk is full: this payment was not taken; free space, or take another payment method");
      return;
    }
    this.options.logger.error({ err: error }, "cashier API bug");
    sendError(response, "INTERNAL", "internal error");
  }
}
