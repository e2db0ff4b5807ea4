/**
 * Reads each register request off the line, dispatches it to its settlement operation (a short
 * switch on `type`) and publishes the reply. Requests from one register
 * run one at a time in arrival order (a cancel never overtakes its create); registers run in parallel.
 * A broken request gets an `error` reply and changes nothing; nothing here may crash the server.
 */
import { RegisterRequestSchema, parseMessage, type RegisterRequest, type ServerMessage } from "@codepay/contract";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import type { SettlementContext } from "../settlement/context.js";
import { acknowledgeResult, cancelPayment, createPayment, paymentStatus, requestError, type RegisterAddress } from "../settlement/register-requests.js";
import { cardPayment, refundPayment, reportRequest, voidPayment } from "../settlement/register-ledger-requests.js";
import type { RegisterLine } from "./register-line.js";
import { findRegisterOp, type RegisterRow } from "../db/repositories/registers.js";
import { readSettlement } from "../settlement/idempotent-transaction.js";

async function dispatch(context: SettlementContext, from: RegisterAddress, request: RegisterRequest): Promise<ServerMessage | undefined> {
  switch (request.type) {
    case "payment.create": // -> payment.issued (or error)
      return createPayment(context, from, request);
    case "payment.cancel": // -> payment.state: cancelled, or the final state it already had
      return cancelPayment(context, from, request);
    case "payment.status": // -> payment.state
      return paymentStatus(context, from, request);
    case "result.ack": // no reply; the result stops being resent
      await acknowledgeResult(context, from, request);
      return undefined;
    case "payment.card": // -> payment.state: approved, or declined with the reason
      return cardPayment(context, from, request);
    case "payment.void": // -> payment.state voided (or error: VOID_NOT_ALLOWED, PERIOD_CLOSED, ...)
      return voidPayment(context, from, request);
    case "refund.create": // -> refund.result (or error: REFUND_EXCEEDS_ORIGINAL, ...)
      return refundPayment(context, from, request);
    case "report.request": // -> report (a Z closes the register's period)
      return reportRequest(context, from, request);
  }
}

interface RegisterQueue {
  tail: Promise<void>;
  depth: number;
}

export class RequestRouter {
  private readonly queues = new Map<string, RegisterQueue>();
  private readonly logger: Logger;

  constructor(
    private readonly context: SettlementContext,
    private readonly line: RegisterLine,
  ) {
    this.logger = context.logger;
  }

  start(): void {
    this.line.onRequest((from, payload) => this.enqueue(from, payload));
  }

  /** Resolves when every accepted request has been answered (for shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.tail));
  }

  private enqueue(from: RegisterAddress, payload: Buffer): void {
    const queue = this.queues.get(from.registerId) ?? { tail: Promise.resolve(), depth: 0 };
    if (queue.depth >= limits.registerQueueDepthMax) {
      this.logger.warn({ registerId: from.registerId }, "register request queue full; refusing");
      void this.reply(from, requestError("INTERNAL", "server busy, retry later"));
      return;
    }
    queue.depth += 1;
    queue.tail = queue.tail.then(() => this.handle(from, payload)).finally(() => {
      queue.depth -= 1;
      if (queue.depth === 0) this.queues.delete(from.registerId);
    });
    this.queues.set(from.registerId, queue);
  }

  private async handle(from: RegisterAddress, payload: Buffer): Promise<void> {
    if (payload.length > limits.mqttPayloadBytesMax) {
      this.logger.warn({ registerId: from.registerId, bytes: payload.length }, "request too large");
      await this.reply(from, requestError("MALFORMED_MESSAGE", `payload larger than ${limits.mqttPayloadBytesMax} bytes`));
      return;
    }
    const parsed = parseMessage(RegisterRequestSchema, payload);
    if (!parsed.ok) {
      this.logger.warn({ registerId: from.registerId, reason: parsed.message }, "malformed request");
      await this.reply(from, requestError("MALFORMED_MESSAGE", parsed.message, parsed.inReplyTo));
      return;
    }
    const request = parsed.value;
    const refusal = await this.refusalFor(from, request);
    if (refusal !== undefined) {
      await this.reply(from, refusal);
      // Only an operator can undo this (enable, enroll): close the connection rather than answer
      // every retry; the broker refuses the reconnect, and results wait in the outbox until then.
      if (refusal.type === "error" && refusal.error.code !== "INTERNAL") await this.disconnect(from);
      return;
    }
    let reply: ServerMessage | undefined;
    try {
      reply = await dispatch(this.context, from, request);
    } catch (error) {
      // A bug or a database failure: the transaction rolled back, so nothing changed.
      this.logger.error({ err: error, registerId: from.registerId, type: request.type, requestId: request.requestId }, "request failed");
      reply = requestError("INTERNAL", "the server failed; nothing changed, retry with the same requestId", request.requestId);
    }
    if (reply !== undefined) await this.reply(from, reply);
  }

  /**
   * The register as the database has it now, not as it was at CONNECT: an operator may have disabled
   * it, or its row may be gone (or name another store), since. Undefined when it may go on.
   */
  private async refusalFor(from: RegisterAddress, request: RegisterRequest): Promise<ServerMessage | undefined> {
    let enrolled: RegisterRow | undefined;
    try {
      enrolled = await readSettlement(this.context, () => findRegisterOp(from.registerId));
    } catch (error) {
      this.logger.error({ err: error, registerId: from.registerId, type: request.type }, "could not look up the register");
      return requestError("INTERNAL", "the server failed; nothing changed, retry with the same requestId", request.requestId);
    }
    if (enrolled === undefined || enrolled.storeId !== from.storeId) {
      this.logger.warn({ registerId: from.registerId, storeId: from.storeId, code: "UNKNOWN_REGISTER", type: request.type }, "request from a register that is not enrolled (any more) refused");
      return requestError("UNKNOWN_REGISTER", `register ${from.registerId} of store ${from.storeId} is not enrolled`, request.requestId);
    }
    if (enrolled.disabled) {
      this.logger.warn({ registerId: from.registerId, code: "REGISTER_DISABLED", type: request.type }, "request from a disabled register refused");
      return requestError("REGISTER_DISABLED", "an operator disabled this register", request.requestId);
    }
    return undefined;
  }

  private async disconnect(register: RegisterAddress): Promise<void> {
    try {
      await this.line.disconnectRegister?.(register);
    } catch (error) {
      this.logger.warn({ err: error, registerId: register.registerId }, "could not close a refused register's connection");
    }
  }

  private async reply(to: RegisterAddress, message: ServerMessage): Promise<void> {
    try {
      await this.line.publishToRegister(to, message);
    } catch (error) {
      this.logger.warn({ err: error, registerId: to.registerId }, "could not publish a reply");
    }
  }
}
