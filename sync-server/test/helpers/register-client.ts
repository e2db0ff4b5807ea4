/** A register as the server sees it: a real mqtt.js client over TCP loopback. */
import mqtt, { type MqttClient } from "mqtt";
import { randomUUID } from "node:crypto";
import { downTopic, upTopic, ServerMessageSchema, type ServerMessage } from "@codepay/contract";

type Waiter = { predicate: (message: ServerMessage) => boolean; resolve: (message: ServerMessage) => void };

export class RegisterClient {
  readonly received: ServerMessage[] = [];
  /** Payloads that did not parse as a ServerMessage: a test fails if any appear. */
  readonly unparsable: string[] = [];
  private waiters: Waiter[] = [];
  /** Every payment id this client asked to create, for cancelOpenPayments. */
  private readonly created = new Set<string>();

  private constructor(
    readonly client: MqttClient,
    readonly storeId: string,
    readonly registerId: string,
  ) {
    client.on("message", (_topic, payload) => {
      const parsed = ServerMessageSchema.safeParse(JSON.parse(payload.toString("utf8")));
      if (!parsed.success) {
        this.unparsable.push(payload.toString("utf8"));
        return;
      }
      this.received.push(parsed.data);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.predicate(parsed.data)) return true;
        waiter.resolve(parsed.data);
        return false;
      });
    });
  }

  static async connect(url: string, storeId: string, registerId: string, password: string): Promise<RegisterClient> {
    const client = mqtt.connect(url, { clientId: registerId, username: registerId, password, clean: false, reconnectPeriod: 0 });
    // Listening before the CONNACK: the session's stored messages may come in the same read, and an
    // awaited connect would let mqtt.js hand them out (and acknowledge them) to nobody.
    const register = new RegisterClient(client, storeId, registerId);
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => {
        client.end(true);
        reject(error);
      };
      client.once("error", fail);
      client.once("connect", () => {
        client.removeListener("error", fail);
        resolve();
      });
    });
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const granted = await client.subscribeAsync(downTopic(storeId, registerId), { qos: 1 });
    if (granted[0]?.qos !== 1) throw new Error(`subscription to own down topic refused: ${JSON.stringify(granted)}`);
    return register;
  }

  /** Resolves with the first message (already received or still to come) that matches. */
  next(predicate: (message: ServerMessage) => boolean): Promise<ServerMessage> {
    const seen = this.received.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return this.nextNew(predicate);
  }

  /** Resolves with the first matching message that arrives from now on. */
  nextNew(predicate: (message: ServerMessage) => boolean): Promise<ServerMessage> {
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  async sendRaw(payload: string | Buffer, topic = upTopic(this.storeId, this.registerId)): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** Publishes a request and waits for the reply naming its requestId. */
  async request(body: Record<string, unknown>): Promise<ServerMessage> {
    const requestId = typeof body["requestId"] === "string" ? body["requestId"] : randomUUID();
    if (body["type"] === "payment.create" && typeof body["paymentId"] === "string") this.created.add(body["paymentId"]);
    const reply = this.nextNew((message) => "inReplyTo" in message && message.inReplyTo === requestId);
    await this.sendRaw(JSON.stringify({ v: 1, ...body, requestId }));
    return reply;
  }

  /** The pushed (unasked) result for a payment in a given state. */
  pushedResult(paymentId: string, state: string): Promise<ServerMessage> {
    return this.next((m) => m.type === "payment.state" && m.paymentId === paymentId && m.state === state && m.resultId !== undefined && m.inReplyTo === undefined);
  }

  /**
   * Cancels every payment this client created (a final one just answers its state): the server allows
   * one open payment per register, so a test that leaves one open would block the next test's create.
   */
  async cancelOpenPayments(): Promise<void> {
    for (const paymentId of this.created) await this.request({ type: "payment.cancel", paymentId });
    this.created.clear();
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export function newRequestId(): string {
  return randomUUID();
}
