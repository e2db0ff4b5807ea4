/**
 * A stand-in for the sync-server on a plain aedes broker (no auth): it hears every register's up
 * topic and answers per the protocol schemas. Tests decide when a payment is approved.
 */
import net from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { ALL_STATUS_TOPICS, ALL_UP_TOPICS, RegisterRequestSchema, downTopic, parseMessage, parseRegisterTopic } from "@codepay/contract";
import type { CreatePayment, RegisterRequest, ServerMessage } from "@codepay/contract";

export interface StandInServer {
  readonly url: string;
  readonly broker: Aedes;
  readonly requests: RegisterRequest[];
  readonly presence: Array<{ registerId: string; state: string }>;
  /** When false, requests are recorded but not answered. */
  answering: boolean;
  send(storeId: string, registerId: string, message: ServerMessage | string): Promise<void>;
  approve(create: CreatePayment, storeId: string, registerId: string, resultId: string): Promise<void>;
  close(): Promise<void>;
}

export const ISSUED_CODE = "4829137";

export async function startStandInServer(): Promise<StandInServer> {
  const broker = await Aedes.createBroker();
  const listener = net.createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const url = `mqtt://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: "stand-in-server", protocolVersion: 4, reconnectPeriod: 0 });
  const server: StandInServer = {
    url,
    broker,
    requests: [],
    presence: [],
    answering: true,
    send: async (storeId, registerId, message) => {
      await client.publishAsync(downTopic(storeId, registerId), typeof message === "string" ? message : JSON.stringify(message), { qos: 1 });
    },
    approve: (create, storeId, registerId, resultId) =>
      server.send(storeId, registerId, {
        v: 1,
        type: "payment.state",
        resultId,
        paymentId: create.paymentId,
        state: "approved",
        amount: create.amount,
        reference: "tx-0001",
        updatedAt: Date.now(),
      }),
    close: async () => {
      await client.endAsync(true);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
  client.on("message", (topic, payload) => {
    const where = parseRegisterTopic(topic);
    if (!where) return;
    if (where.leaf === "status") {
      const presence = JSON.parse(payload.toString()) as { state: string };
      server.presence.push({ registerId: where.registerId, state: presence.state });
      return;
    }
    const parsed = parseMessage(RegisterRequestSchema, payload);
    if (!parsed.ok) throw new Error(`agent sent a malformed request: ${parsed.message}`);
    server.requests.push(parsed.value);
    if (server.answering && parsed.value.type === "payment.create") {
      const create = parsed.value;
      void server.send(where.storeId, where.registerId, {
        v: 1,
        type: "payment.issued",
        inReplyTo: create.requestId,
        paymentId: create.paymentId,
        code: ISSUED_CODE,
        amount: create.amount,
        expiresAt: Date.now() + 120_000,
        storeName: "Demo Store",
      });
    }
  });
  await client.subscribeAsync([ALL_UP_TOPICS, ALL_STATUS_TOPICS], { qos: 1 });
  return server;
}
