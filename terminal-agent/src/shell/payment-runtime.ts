/**
 * The thin shell around the payment machine: reads a payment from the journal, calls transition(),
 * and runs the effects in order. Everything here is synchronous up to the journal write, so a
 * message handler that returns has stored its result (the link then sends the PUBACK).
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { CREATE_REPLACES_MAX, PROTOCOL_VERSION } from "@codepay/contract";
import type { ErrorCode, Money, RegisterRequest, Report, ReportRequest, ServerMessage } from "@codepay/contract";
import type { Effect } from "../core/effects.js";
import { ackTimeoutMs, cardholderNamesHeldMax, outboxResendBatchMax, publishAckWaitMs, sendsTrackedMax, serverReplyWaitMs } from "../core/limits.js";
import { buildReportReceipt, canPrintCopy, canPrintRaw } from "../protocols/escpos/report-receipt.js";
import { buildReversalSlip } from "../protocols/escpos/reversal-slip.js";
import type { ReversalSlip } from "../core/effects.js";
import type { ReceiptData } from "../protocols/escpos/receipt.js";
import { transition } from "../core/payment-machine.js";
import type { PaymentEvent, Refusal } from "../core/payment-machine.js";
import { isFinalAgentState, toPaymentView } from "../core/payment.js";
import type { Payment, PaymentView, ReceiptLine } from "../core/payment.js";
import type { Clock } from "../clock.js";
import type { ReceiptPrinter } from "../devices/device.js";
import type { Journal } from "../journal/journal.js";
import { newClientId } from "../ids.js";

/** The slice of the MQTT link the runtime needs. */
export interface RequestSender {
  readonly isUp: boolean;
  readonly requestTopic: string;
  publish(request: RegisterRequest): Promise<void>;
}

export interface PaymentRuntimeOptions {
  readonly journal: Journal;
  readonly link: RequestSender;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly printer?: ReceiptPrinter | undefined;
  readonly storeName: string;
  readonly registerId: string;
  /** The register's name (config `registerName`): receipts print it instead of the id. */
  readonly registerName?: string | undefined;
  /** Receipt language: "ja" prints half-width Katakana (ESC t 1). Default "en". */
  readonly language?: "en" | "ja" | undefined;
  /** Most publishes followed until their PUBACK (default limits.sendsTrackedMax; tests make it small). */
  readonly sendsTrackedMax?: number;
  /** Called whenever the screen may have changed. */
  readonly onScreenChange: () => void;
}

export interface RuntimeEvents {
  payment: [payment: PaymentView];
}

export type CommandResult = { ok: true; payment: Payment } | { ok: false; refusal: Refusal };
/** Print job id of a report: this prefix and the report's requestId (a payment's job id is its paymentId). */
export const REPORT_JOB_PREFIX = "report-";
/** Print job id of a refund or void slip: this prefix, then `refund-<refundId>` or `void-<paymentId>`. */
const SLIP_JOB_PREFIX = "slip:";
/** Print job id of a receipt copy the cashier asked for: this prefix, the paymentId, `:` and the time. */
const REPRINT_JOB_PREFIX = "copy:";

export type ReportResult = { ok: true; report: Report; printed: boolean } | { ok: false; refusal: Refusal };

function lineDown(): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { code: "SERVER_UNAVAILABLE", message: "the line to the Code Pay server is down" } };
}

function timedOut(): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { code: "SERVER_TIMEOUT", message: "the server has not answered yet; the request stays queued, ask again with the same id" } };
}

export class PaymentRuntime extends EventEmitter<RuntimeEvents> {
  /** The payment the display follows: the most recently shown one. */
  currentPayment: Payment | undefined;
  /** Publishes waiting for their PUBACK, by requestId; at most sendsTrackedMax (limits.ts). */
  readonly #sends = new Map<string, Promise<void>>();
  /** Cashier requests waiting for the server's reply, by requestId. */
  readonly #waiters = new Map<string, (message: ServerMessage | undefined) => void>();
  /** Reports being printed, by requestId. */
  readonly #printing = new Map<string, Promise<void>>();
  /**
   * Cardholder names for the receipt greeting (store option), by paymentId, until the receipt is queued.
   * Memory only: never journaled or logged; after a restart the receipt simply has no greeting.
   */
  readonly #cardholderNames = new Map<string, string>();

  constructor(private readonly options: PaymentRuntimeOptions) {
    super();
    this.setMaxListeners(64);
    this.currentPayment = options.journal.latestPayment();
  }

  /** How many publishes are followed until their PUBACK (bounded; for tests and diagnostics). */
  get sendsInFlight(): number {
    return this.#sends.size;
  }

  getPayment(paymentId: string): Payment | undefined {
    return this.options.journal.getPayment(paymentId);
  }

  /** The register's payments from the journal, newest first (the cashier's history; survives a reload). */
  listPayments(query: Parameters<Journal["listPayments"]>[0]): Payment[] {
    return this.options.journal.listPayments(query);
  }

  /**
   * A new payment from the POS. Refused while the line is down, unless it repeats one already made.
   * One customer at a time: while another payment is open (journal.openPayment) it is refused with
   * PAYMENT_IN_PROGRESS naming the open one, unless `replace` is set: then the open one's cancel is
   * journaled first, and only then is the new payment made.
   */
  async createPayment(input: { paymentId?: string | undefined; amount: Money; lines: readonly ReceiptLine[]; tender?: "code" | "card" | undefined; replace?: boolean | undefined }): Promise<CommandResult> {
    const paymentId = input.paymentId ?? newClientId();
    const existing = this.getPayment(paymentId);
    if (existing === undefined && !this.options.link.isUp) {
      return { ok: false, refusal: { code: "SERVER_UNAVAILABLE", message: "the line to the Code Pay server is down; take another payment method" } };
    }
    if (existing === undefined) {
      const open = this.options.journal.openPayment(this.options.clock.now());
      if (open !== undefined && input.replace !== true) {
        const code = open.code !== undefined ? `, code ${open.code}` : "";
        return { ok: false, refusal: { code: "PAYMENT_IN_PROGRESS", message: `payment ${open.paymentId} (${open.amount.minor} ${open.amount.currency}${code}) is still open: cancel it, or send replace: true` } };
      }
      if (open !== undefined) {
        const cancelled = this.cancelPayment(open.paymentId); // journaled before anything of the new payment
        if (!cancelled.ok) return cancelled;
      }
    }
    const replaces = existing === undefined ? this.options.journal.paymentsToReplace(this.options.clock.now(), CREATE_REPLACES_MAX) : [];
    const result = this.dispatch(paymentId, { type: "CreateRequested", paymentId, amount: input.amount, lines: input.lines, requestId: newClientId(), tender: input.tender, replaces });
    if (!result.ok) return result;
    if (result.payment.state === "awaiting-card") return result; // nothing sent until the swipe
    // "201 once journaled and sent": wait briefly for the broker's PUBACK; the outbox retries anyway.
    const send = this.#sends.get(result.payment.createRequestId);
    if (send) await waitAtMost(send, publishAckWaitMs);
    return { ok: true, payment: this.getPayment(paymentId) ?? result.payment };
  }

  /** A good swipe from the card reader: it pays the payment awaiting a card, if any (else it is dropped). */
  handleCardRead(card: { token?: string | undefined; last4: string; expiry: string; cardholderName?: string | undefined }): void {
    if (card.token === undefined) return this.handleCardError("CARD_KEY_MISSING");
    const payment = this.options.journal.awaitingCardPayment();
    if (payment === undefined) {
      this.options.logger.info({ last4: card.last4 }, "card swiped with no card payment waiting; ignored");
      return;
    }
    if (card.cardholderName !== undefined) {
      if (this.#cardholderNames.size >= cardholderNamesHeldMax) this.#cardholderNames.delete(this.#cardholderNames.keys().next().value!);
      this.#cardholderNames.set(payment.paymentId, card.cardholderName);
    }
    this.dispatch(payment.paymentId, { type: "CardSwiped", card: { token: card.token, last4: card.last4, expiry: card.expiry }, requestId: newClientId() });
  }

  /** A bad swipe: shown on the display of the payment awaiting a card, which keeps waiting. */
  handleCardError(code: string): void {
    const payment = this.options.journal.awaitingCardPayment();
    if (payment === undefined) return;
    this.dispatch(payment.paymentId, { type: "CardSwipeFailed", code });
  }

  cancelPayment(paymentId: string): CommandResult {
    return this.dispatch(paymentId, { type: "CancelRequested", requestId: newClientId() });
  }

  /** Voids an approved payment; resolves when the server answers (or SERVER_TIMEOUT). */
  async voidPayment(paymentId: string, note?: string): Promise<CommandResult> {
    const payment = this.getPayment(paymentId);
    if (payment?.state === "approved" && payment.voidRequestId === undefined && !this.options.link.isUp) return lineDown();
    const requestId = newClientId();
    const reply = this.#expectReply(requestId);
    const result = this.dispatch(paymentId, { type: "VoidRequested", requestId, ...(note !== undefined ? { note } : {}) });
    if (!result.ok || result.payment.state === "voided") return this.#settle(requestId, result);
    // A void already on its way: wait for that one.
    const awaited = result.payment.voidRequestId === requestId ? reply : this.#expectReply(result.payment.voidRequestId ?? requestId);
    if (result.payment.voidRequestId !== requestId) this.#settle(requestId, result);
    const answer = await awaited;
    return this.#outcome(paymentId, answer, (after) => after.state === "voided");
  }

  /** Refunds part of an approved payment; the refund id makes a retry the same refund. */
  async refundPayment(paymentId: string, input: { refundId?: string | undefined; amountMinor: number; note?: string | undefined }): Promise<CommandResult & { refundId?: string }> {
    const refundId = input.refundId ?? newClientId();
    const known = this.getPayment(paymentId)?.refunds.find((r) => r.refundId === refundId);
    if (known === undefined && !this.options.link.isUp) return lineDown();
    const requestId = newClientId();
    const reply = this.#expectReply(requestId);
    const result = this.dispatch(paymentId, { type: "RefundRequested", refundId, amountMinor: input.amountMinor, requestId, ...(input.note !== undefined ? { note: input.note } : {}) });
    if (!result.ok) return this.#settle(requestId, result);
    const refund = result.payment.refunds.find((r) => r.refundId === refundId);
    if (refund === undefined || refund.state !== "requested") return { ...this.#settle(requestId, result), refundId };
    const awaited = refund.requestId === requestId ? reply : this.#expectReply(refund.requestId);
    if (refund.requestId !== requestId) this.#settle(requestId, result);
    const answer = await awaited;
    return { ...this.#outcome(paymentId, answer, (after) => after.refunds.some((r) => r.refundId === refundId && r.state === "done")), refundId };
  }

  /** X or Z report: journaled, sent, printed when it arrives. A repeated requestId returns the stored report. */
  async requestReport(kind: "x" | "z", requestId: string = newClientId()): Promise<ReportResult> {
    const { journal, link, clock } = this.options;
    const stored = journal.getReport(requestId);
    if (stored?.report !== undefined) return { ok: true, report: stored.report, printed: stored.printed };
    if (stored === undefined) {
      if (!link.isUp) return lineDown();
      const request: ReportRequest = { v: PROTOCOL_VERSION, type: "report.request", requestId, kind };
      journal.queueReportRequest(request, link.requestTopic, clock.now());
      const reply = this.#expectReply(requestId);
      this.#send(request);
      await reply;
    } else {
      await this.#expectReply(requestId);
    }
    const answered = journal.getReport(requestId);
    if (answered?.report !== undefined) {
      const printing = this.#printing.get(requestId);
      if (printing !== undefined) await waitAtMost(printing, serverReplyWaitMs);
      return { ok: true, report: answered.report, printed: journal.getReport(requestId)?.printed ?? false };
    }
    if (answered?.error !== undefined) return { ok: false, refusal: answered.error };
    return timedOut();
  }

  /** Runs before the link PUBACKs the message. */
  handleServerMessage(message: ServerMessage): void {
    try {
      this.#handle(message);
    } finally {
      if (message.inReplyTo !== undefined) this.#waiters.get(message.inReplyTo)?.(message);
    }
  }

  #handle(message: ServerMessage): void {
    const now = this.options.clock.now();
    const journal = this.options.journal;
    if (message.inReplyTo !== undefined) journal.markAnswered(message.inReplyTo, now);
    switch (message.type) {
      case "payment.issued":
        this.dispatch(message.paymentId, { type: "IssuedReceived", message, requestId: newClientId() });
        return;
      case "payment.state":
        this.dispatch(message.paymentId, { type: "StateReceived", message, requestId: newClientId() });
        return;
      case "refund.result":
        this.dispatch(message.paymentId, { type: "RefundResultReceived", message });
        return;
      case "report":
        journal.answerReport(message.inReplyTo, { report: message }, now);
        this.#printReport(message);
        return;
      case "error": {
        const request = message.inReplyTo === undefined ? undefined : journal.outboxEntry(message.inReplyTo);
        if (!request) {
          this.options.logger.warn({ code: message.error.code, problem: message.error.message }, "server error for an unknown request");
          return;
        }
        const error = { code: message.error.code as ErrorCode, message: message.error.message };
        if (request.type === "report.request") journal.answerReport(request.requestId, { error }, now);
        if (request.paymentId === null) return;
        this.dispatch(request.paymentId, { type: "RequestRefused", requestType: request.type, ...error, requestId: request.requestId });
        return;
      }
    }
  }

  /**
   * After a restart: hand the printer every approved payment whose receipt was never confirmed
   * (a crash between the journal write and the print). The driver's durable queue is keyed by
   * paymentId, so a receipt it already holds is not queued twice, and one whose earlier attempt may
   * have reached paper comes out marked REPRINT.
   */
  printMissingReceipts(): void {
    for (const payment of this.options.journal.unprintedApprovedPayments()) {
      this.#print(payment);
      // Queued with the receipt; idempotent, so a kick already done is not repeated.
      this.options.printer?.kickDrawer(payment.paymentId).catch(() => undefined);
    }
  }

  /**
   * At start, before the link is up: a code payment still `requested` (no code yet) was made by a process
   * that died before the cashier saw its code, and the cashier API may have answered it as failed (the
   * connection dropped). It must never become payable: its cancel is journaled now and goes out as soon
   * as the server knows the payment (the code is never shown). Card payments are left alone: their
   * swipe is with the server, settled in one step. Returns the payments cancelled.
   */
  cancelUnissuedCodePayments(): string[] {
    const cancelled: string[] = [];
    for (const payment of this.options.journal.inFlightPayments()) {
      if (payment.state !== "requested" || payment.tender === "card" || payment.cancelRequested) continue;
      if (this.cancelPayment(payment.paymentId).ok) cancelled.push(payment.paymentId);
    }
    if (cancelled.length > 0) this.options.logger.warn({ paymentIds: cancelled }, "payments without a code at restart cancelled: the cashier may have been told they failed");
    return cancelled;
  }

  /** After a restart: ask where each issued payment stands (requested ones are covered by their outbox entry). */
  askStatusOfInFlightPayments(): void {
    for (const payment of this.options.journal.inFlightPayments()) {
      this.dispatch(payment.paymentId, { type: "StatusWanted", requestId: newClientId() });
    }
  }

  /** Resends unanswered requests, same requestId (the server answers a repeat with its stored reply). */
  resendUnanswered(all = false): void {
    if (!this.options.link.isUp) return;
    const now = this.options.clock.now();
    const due = this.options.journal.unansweredRequests(all ? now + 1 : now - ackTimeoutMs, outboxResendBatchMax);
    for (const entry of due) {
      this.options.logger.info({ requestId: entry.requestId, type: entry.type, attempt: entry.sendCount + 1 }, "resending request");
      this.#send(JSON.parse(entry.payload) as RegisterRequest);
    }
  }

  dispatch(paymentId: string, event: PaymentEvent): CommandResult {
    const before = this.getPayment(paymentId);
    const result = transition(before, event, this.options.clock.now());
    for (const effect of result.effects) this.#run(effect);
    if (result.refusal) return { ok: false, refusal: result.refusal };
    const payment = result.state;
    if (!payment) return { ok: false, refusal: { code: "PAYMENT_NOT_FOUND", message: `no payment ${paymentId}` } };
    return { ok: true, payment };
  }

  #run(effect: Effect): void {
    const { journal, clock, logger, printer } = this.options;
    switch (effect.type) {
      case "JournalWrite": {
        const now = clock.now();
        // A final payment needs no more replies: stop resending its earlier status/cancel requests.
        if (isFinalAgentState(effect.payment.state)) journal.answerAllFor(effect.payment.paymentId, now);
        journal.write(effect.payment, effect.outbox.map((request) => ({ request, topic: this.options.link.requestTopic })), now);
        return;
      }
      case "Publish":
        // Only while the line is up; otherwise the outbox sends it when the line comes back.
        if (this.options.link.isUp) this.#send(effect.request);
        return;
      case "AckResult":
        if (this.options.link.isUp) this.options.link.publish(effect.ack).catch((error: unknown) => logger.warn({ err: (error as Error).message }, "result.ack not sent; the server will resend the result"));
        return;
      case "ShowScreen":
        // One customer at a time: news of an older payment (a late cancel or failure of one the
        // cashier moved past) never covers the code of a newer one still open.
        if (this.#coversOpenNewer(effect.payment)) return;
        this.currentPayment = effect.payment;
        this.options.onScreenChange();
        return;
      case "PrintReceipt":
        this.#print(effect.payment);
        return;
      case "PrintSlip":
        this.#printSlip(effect.slip);
        return;
      case "KickDrawer":
        printer?.kickDrawer(effect.paymentId).catch((error: unknown) => logger.warn({ paymentId: effect.paymentId, err: (error as Error).message }, "drawer kick failed"));
        return;
      case "Notify": {
        const fields = effect.payment ? { paymentId: effect.payment.paymentId, state: effect.payment.state } : {};
        logger[effect.level](fields, effect.message);
        if (effect.payment) this.emit("payment", toPaymentView(effect.payment));
        return;
      }
    }
  }

  #coversOpenNewer(payment: Payment): boolean {
    const current = this.currentPayment;
    return current !== undefined && current.paymentId !== payment.paymentId && current.createdAt > payment.createdAt && !isFinalAgentState(current.state);
  }

  /** Resolves with the server's reply to requestId, or undefined after serverReplyWaitMs. */
  #expectReply(requestId: string): Promise<ServerMessage | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), serverReplyWaitMs);
      const previous = this.#waiters.get(requestId);
      const done = (message: ServerMessage | undefined): void => {
        clearTimeout(timer);
        if (this.#waiters.get(requestId) === done) this.#waiters.delete(requestId);
        previous?.(message);
        resolve(message);
      };
      this.#waiters.set(requestId, done);
    });
  }

  /** Drops the waiter of a request that was never sent and returns the result as it is. */
  #settle<T>(requestId: string, result: T): T {
    this.#waiters.get(requestId)?.(undefined);
    return result;
  }

  #outcome(paymentId: string, answer: ServerMessage | undefined, succeeded: (payment: Payment) => boolean): CommandResult {
    const after = this.getPayment(paymentId);
    if (after === undefined) return { ok: false, refusal: { code: "PAYMENT_NOT_FOUND", message: `no payment ${paymentId}` } };
    if (succeeded(after)) return { ok: true, payment: after };
    if (answer?.type === "error") return { ok: false, refusal: { code: answer.error.code as ErrorCode, message: answer.error.message } };
    if (answer === undefined) return timedOut();
    return { ok: true, payment: after };
  }

  /** A refund's or void's slip, through the driver's queue under its own job id (a repeat is not queued twice). */
  #printSlip(slip: ReversalSlip): void {
    const { printer, logger, clock } = this.options;
    if (!printer || !canPrintRaw(printer)) {
      logger.info({ paymentId: slip.paymentId, kind: slip.kind }, "no printer with a raw print path; slip not printed");
      return;
    }
    const bytes = buildReversalSlip({ ...slip, storeName: this.options.storeName, register: this.options.registerName ?? this.options.registerId, printedAt: clock.now() });
    const jobId = `${SLIP_JOB_PREFIX}${slip.kind === "void" ? `void-${slip.paymentId}` : `refund-${slip.refundId ?? slip.paymentId}`}`;
    printer.printRaw(bytes, jobId).then(
      () => logger.info({ paymentId: slip.paymentId, kind: slip.kind }, "slip printed"),
      (error: unknown) => logger.warn({ paymentId: slip.paymentId, kind: slip.kind, err: (error as Error).message }, "slip not printed"),
    );
  }

  #printReport(report: Report): void {
    const { printer, logger, journal } = this.options;
    if (!printer) {
      logger.info({ requestId: report.inReplyTo }, "no receipt printer configured; report not printed");
      return;
    }
    if (!canPrintRaw(printer)) {
      logger.warn({ requestId: report.inReplyTo }, "the printer driver has no raw print path; report not printed");
      return;
    }
    const printing = printer.printRaw(buildReportReceipt(report, this.options.storeName, undefined, this.options.registerName), `${REPORT_JOB_PREFIX}${report.inReplyTo}`).then(
      () => {
        journal.markReportPrinted(report.inReplyTo);
        logger.info({ kind: report.kind, periodNumber: report.periodNumber }, "report printed");
      },
      (error: unknown) => logger.warn({ err: (error as Error).message }, "report not printed"),
    );
    this.#printing.set(report.inReplyTo, printing);
    void printing.finally(() => this.#printing.delete(report.inReplyTo));
  }

  #send(request: RegisterRequest): void {
    const { journal, clock, logger, link } = this.options;
    journal.markSent(request.requestId, clock.now());
    const send = link.publish(request).catch((error: unknown) => {
      logger.warn({ requestId: request.requestId, err: (error as Error).message }, "publish failed; the outbox will resend");
    });
    // A resend replaces the entry of the same requestId; only its own send may remove it.
    if (!this.#sends.has(request.requestId) && this.#sends.size >= (this.options.sendsTrackedMax ?? sendsTrackedMax)) return;
    this.#sends.set(request.requestId, send);
    void send.finally(() => {
      if (this.#sends.get(request.requestId) === send) this.#sends.delete(request.requestId);
    });
  }

  /**
   * A copy of an approved (or since voided) payment's receipt, marked REPRINT, queued as its own print
   * job: the cashier's answer to "can I have my receipt again". Resolves once queued, not printed.
   */
  reprintReceipt(paymentId: string): CommandResult {
    const { printer, logger, clock } = this.options;
    const payment = this.getPayment(paymentId);
    if (payment === undefined) return { ok: false, refusal: { code: "PAYMENT_NOT_FOUND", message: `no payment ${paymentId} on this register` } };
    if (payment.state !== "approved" && payment.state !== "voided") {
      return { ok: false, refusal: { code: "NO_RECEIPT", message: `only an approved payment has a receipt (it is ${payment.state})` } };
    }
    if (!printer || !canPrintCopy(printer)) return { ok: false, refusal: { code: "DEVICE_OFFLINE", message: "no receipt printer is configured on this register" } };
    const jobId = `${REPRINT_JOB_PREFIX}${paymentId}:${clock.now()}`;
    printer.printCopy(this.#receiptData(payment), jobId).then(
      () => logger.info({ paymentId }, "receipt copy printed"),
      (error: unknown) => logger.warn({ paymentId, err: (error as Error).message }, "receipt copy not printed"),
    );
    return { ok: true, payment };
  }

  /** What a payment's receipt says (the original's and its copies'). */
  #receiptData(payment: Payment): ReceiptData {
    return {
      storeName: this.options.storeName,
      registerId: this.options.registerId,
      ...(this.options.registerName !== undefined ? { registerName: this.options.registerName } : {}),
      paymentId: payment.paymentId,
      amount: payment.amount,
      lines: payment.lines,
      reference: payment.reference,
      ...(payment.cardLast4 !== undefined ? { cardLast4: payment.cardLast4 } : {}),
      ...(this.options.language === "ja" ? { language: "ja" as const } : {}),
      printedAt: this.options.clock.now(),
    };
  }

  #print(payment: Payment): void {
    const { printer, logger } = this.options;
    if (!printer) {
      logger.info({ paymentId: payment.paymentId }, "no receipt printer configured");
      return;
    }
    // The original only: a copy never greets the cardholder (the name is not kept).
    const receipt = {
      ...this.#receiptData(payment),
      ...(this.#cardholderNames.has(payment.paymentId) ? { cardholderName: this.#cardholderNames.get(payment.paymentId) } : {}),
    };
    this.#cardholderNames.delete(payment.paymentId);
    printer.print(receipt).then(
      () => this.dispatch(payment.paymentId, { type: "ReceiptPrinted" }),
      (error: unknown) => logger.warn({ paymentId: payment.paymentId, err: (error as Error).message }, "receipt not printed"),
    );
  }
}

async function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
