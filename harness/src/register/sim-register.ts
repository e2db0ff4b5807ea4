/**
 * A simulated register on the dedicated line: a real mqtt.js client that speaks the register <-> server
 * protocol without devices, for load runs and fault runs. It correlates replies by requestId and
 * pushed results by paymentId, acknowledges every pushed result, and never retries on its own unless
 * `resendEveryMs` is set: then an unanswered request goes out again with the same requestId, as the
 * agent's outbox does (a server instance that took it may have died; the database makes it one effect).
 */
import { randomUUID } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import {
  PROTOCOL_VERSION,
  QOS,
  ServerMessageSchema,
  downTopic,
  parseMessage,
  upTopic,
  type Money,
  type PaymentIssued,
  type PaymentStateMessage,
  type RegisterRequest,
  type ServerMessage,
} from "@codepay/contract";

export interface SimRegisterOptions {
  readonly mqttUrl: string;
  readonly storeId: string;
  readonly registerId: string;
  readonly password: string;
  /** How long to wait for a reply or a pushed result before giving up. */
  readonly replyTimeoutMs?: number;
  /** Resend an unanswered request (same requestId) this often; default never. */
  readonly resendEveryMs?: number;
}

type Waiter<T> = { resolve(value: T): void; reject(error: Error): void; timer: NodeJS.Timeout; resend?: NodeJS.Timeout };

const replyTimeoutMsDefault = 30_000;

export class SimRegister {
  private client: MqttClient | undefined;
  private readonly replies = new Map<string, Waiter<ServerMessage>>();
  private readonly results = new Map<string, Waiter<PaymentStateMessage>>();
  /** Results that arrived before anyone waited for them. Bounded by the payments in flight. */
  private readonly earlyResults = new Map<string, PaymentStateMessage>();
  private readonly timeoutMs: number;
  malformedMessages = 0;

  constructor(private readonly options: SimRegisterOptions) {
    this.timeoutMs = options.replyTimeoutMs ?? replyTimeoutMsDefault;
  }

  async connect(): Promise<void> {
    const client = mqtt.connect(this.options.mqttUrl, {
      clientId: this.options.registerId,
      username: this.options.registerId,
      password: this.options.password,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
    });
    this.client = client;
    client.on("connect", () => (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
    client.on("message", (_topic, payload) => this.onMessage(payload));
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    await client.subscribeAsync(downTopic(this.options.storeId, this.options.registerId), { qos: QOS });
  }

  /**
   * payment.create -> the issued code (or throws with the server's error). A retry passes the first
   * attempt's requestId, as the agent's outbox does. `replaces`: this register's open payments the server
   * cancels first (a register holds one open payment at a time).
   */
  async createPayment(paymentId: string, amount: Money, requestId: string = randomUUID(), replaces?: readonly string[]): Promise<PaymentIssued> {
    const reply = await this.request({ v: PROTOCOL_VERSION, type: "payment.create", requestId, paymentId, amount, ...(replaces !== undefined ? { replaces: [...replaces] } : {}) });
    if (reply.type === "payment.issued") return reply;
    throw new Error(reply.type === "error" ? `${reply.error.code}: ${reply.error.message}` : `unexpected ${reply.type}`);
  }

  /** Resolves with the pushed final state of a payment and acknowledges it. */
  waitForResult(paymentId: string): Promise<PaymentStateMessage> {
    const early = this.earlyResults.get(paymentId);
    if (early !== undefined) {
      this.earlyResults.delete(paymentId);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.results.delete(paymentId);
        reject(new Error(`no result for ${paymentId} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.results.set(paymentId, { resolve, reject, timer });
    });
  }

  async stop(): Promise<void> {
    for (const waiter of [...this.replies.values(), ...this.results.values()]) {
      clearTimeout(waiter.timer);
      clearInterval(waiter.resend);
      waiter.reject(new Error("register stopped"));
    }
    this.replies.clear();
    this.results.clear();
    await this.client?.endAsync();
  }

  private request(request: RegisterRequest): Promise<ServerMessage> {
    const client = this.client;
    if (client === undefined) return Promise.reject(new Error("not connected"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(this.replies.get(request.requestId)?.resend);
        this.replies.delete(request.requestId);
        reject(new Error(`no reply to ${request.type} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const topic = upTopic(this.options.storeId, this.options.registerId);
      const payload = JSON.stringify(request);
      const resendEveryMs = this.options.resendEveryMs;
      const resend = resendEveryMs === undefined ? undefined : setInterval(() => client.publish(topic, payload, { qos: QOS }), resendEveryMs);
      this.replies.set(request.requestId, { resolve, reject, timer, ...(resend !== undefined ? { resend } : {}) });
      client.publish(topic, payload, { qos: QOS });
    });
  }

  private onMessage(payload: Buffer): void {
    const parsed = parseMessage(ServerMessageSchema, payload);
    if (!parsed.ok) {
      this.malformedMessages += 1;
      return;
    }
    const message = parsed.value;
    if (message.type === "payment.state" && message.resultId !== undefined) {
      this.acknowledge(message.paymentId, message.resultId);
      const waiter = this.results.get(message.paymentId);
      if (waiter !== undefined) {
        clearTimeout(waiter.timer);
        this.results.delete(message.paymentId);
        waiter.resolve(message);
      } else {
        this.earlyResults.set(message.paymentId, message);
      }
    }
    const inReplyTo = "inReplyTo" in message ? message.inReplyTo : undefined;
    if (inReplyTo === undefined) return;
    const waiter = this.replies.get(inReplyTo);
    if (waiter === undefined) return;
    clearTimeout(waiter.timer);
    clearInterval(waiter.resend);
    this.replies.delete(inReplyTo);
    waiter.resolve(message);
  }

  private acknowledge(paymentId: string, resultId: string): void {
    const ack: RegisterRequest = { v: PROTOCOL_VERSION, type: "result.ack", requestId: randomUUID(), paymentId, resultId };
    this.client?.publish(upTopic(this.options.storeId, this.options.registerId), JSON.stringify(ack), { qos: QOS });
  }
}
