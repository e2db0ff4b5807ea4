/**
 * The thin shell around the payment machine: reads a payment from the journal, calls transition(),
 * and runs the effects in order. Everything here is synchronous up to the journal write, so a
 * message handler that returns has stored its result (the link then sends the PUBACK).
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { ErrorCode, Money, RegisterRequest, ServerMessage } from "@codepay/sync-server/protocol";
import type { Effect } from "../core/effects.js";
import { ackTimeoutMs, outboxResendBatchMax, publishAckWaitMs } from "../core/limits.js";
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
  /** Called whenever the screen may have changed. */
  readonly onScreenChange: () => void;
}

export interface RuntimeEvents {
  payment: [payment: PaymentView];
}

export type CommandResult = { ok: true; payment: Payment } | { ok: false; refusal: Refusal };

export class PaymentRuntime extends EventEmitter<RuntimeEvents> {
  /** The payment the display follows: the most recently shown one. */
  currentPayment: Payment | undefined;
  readonly #sends = new Map<string, Promise<void>>();

  constructor(private readonly options: PaymentRuntimeOptions) {
    super();
    this.setMaxListeners(64);
    this.currentPayment = options.journal.latestPayment();
  }

  getPayment(paymentId: string): Payment | undefined {
    return this.options.journal.getPayment(paymentId);
  }

  /** A new payment from the POS. Refused while the line is down, unless it repeats one already made. */
  async createPayment(input: { paymentId?: string | undefined; amount: Money; lines: readonly ReceiptLine[] }): Promise<CommandResult> {
    const paymentId = input.paymentId ?? newClientId();
    const existing = this.getPayment(paymentId);
    if (existing === undefined && !this.options.link.isUp) {
      return { ok: false, refusal: { code: "SERVER_UNAVAILABLE", message: "the line to the Code Pay server is down; take another payment method" } };
    }
    const result = this.dispatch(paymentId, { type: "CreateRequested", paymentId, amount: input.amount, lines: input.lines, requestId: newClientId() });
    if (!result.ok) return result;
    // "201 once journaled and sent": wait briefly for the broker's PUBACK; the outbox retries anyway.
    const send = this.#sends.get(result.payment.createRequestId);
    if (send) await waitAtMost(send, publishAckWaitMs);
    return { ok: true, payment: this.getPayment(paymentId) ?? result.payment };
  }

  cancelPayment(paymentId: string): CommandResult {
    return this.dispatch(paymentId, { type: "CancelRequested", requestId: newClientId() });
  }

  /** Runs before the link PUBACKs the message. */
  handleServerMessage(message: ServerMessage): void {
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
      case "error": {
        const request = message.inReplyTo === undefined ? undefined : journal.outboxEntry(message.inReplyTo);
        if (!request) {
          this.options.logger.warn({ code: message.error.code, problem: message.error.message }, "server error for an unknown request");
          return;
        }
        this.dispatch(request.paymentId, { type: "RequestRefused", requestType: request.type, code: message.error.code as ErrorCode, message: message.error.message });
        return;
      }
    }
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
        this.currentPayment = effect.payment;
        this.options.onScreenChange();
        return;
      case "PrintReceipt":
        this.#print(effect.payment);
        return;
      case "KickDrawer":
        printer?.kickDrawer().catch((error: unknown) => logger.warn({ paymentId: effect.paymentId, err: (error as Error).message }, "drawer kick failed"));
        return;
      case "Notify": {
        const fields = effect.payment ? { paymentId: effect.payment.paymentId, state: effect.payment.state } : {};
        logger[effect.level](fields, effect.message);
        if (effect.payment) this.emit("payment", toPaymentView(effect.payment));
        return;
      }
    }
  }

  #send(request: RegisterRequest): void {
    const { journal, clock, logger, link } = this.options;
    journal.markSent(request.requestId, clock.now());
    const send = link.publish(request).catch((error: unknown) => {
      logger.warn({ requestId: request.requestId, err: (error as Error).message }, "publish failed; the outbox will resend");
    });
    this.#sends.set(request.requestId, send);
    void send.finally(() => this.#sends.delete(request.requestId));
  }

  #print(payment: Payment): void {
    const { printer, logger, clock } = this.options;
    if (!printer) {
      logger.info({ paymentId: payment.paymentId }, "no receipt printer configured");
      return;
    }
    const receipt = {
      storeName: this.options.storeName,
      registerId: this.options.registerId,
      paymentId: payment.paymentId,
      amount: payment.amount,
      lines: payment.lines,
      reference: payment.reference,
      printedAt: clock.now(),
    };
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
