/**
 * The register line over an external broker (mosquitto) that several server instances share. Each
 * instance is an ordinary mqtt.js client with its own service account and joins one shared
 * subscription group (MQTT 5 §4.8.2, `$share/<group>/<filter>`; mosquitto honours it for 3.1.1
 * clients too), so the broker hands each register request to exactly one instance:
 *   $share/<group>/codepay/v1/+/+/up      requests
 *   $share/<group>/codepay/v1/+/+/status  presence (the agent's retained birth and last will)
 * Replies and results go to the register's `.../down` at QoS 1, from whichever instance has them.
 * The broker's ACL (admin broker files) confines every register to its own topics, so a topic names
 * its sender here as it does on aedes. The session is clean: a killed instance leaves no queue
 * behind, and what it had taken but not answered the register sends again (its outbox resends with
 * the same requestId, which the database makes idempotent).
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { ALL_STATUS_TOPICS, ALL_UP_TOPICS, PresenceSchema, QOS, downTopic, parseMessage, parseRegisterTopic, type ServerMessage } from "@codepay/contract";
import type { Logger } from "../logger.js";
import type { OnlineListener, RegisterLine, RequestListener, PresenceListener } from "./register-line.js";
import type { RegisterAddress } from "../settlement/register-requests.js";

export interface ExternalBrokerOptions {
  /** mqtt:// or mqtts:// address of the broker. */
  readonly url: string;
  /** This instance's service account (`admin broker files` makes codepay-server-1..N). */
  readonly username: string;
  readonly password: string;
  /** Shared subscription group; every instance of one deployment uses the same. */
  readonly group: string;
  /** PEM CA for mqtts:// brokers with a private CA. */
  readonly ca?: Buffer;
  readonly reconnectDelayMs?: number;
}

export const SHARE_GROUP_DEFAULT = "codepay";
const SHARE_GROUP_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function sharedFilter(group: string, filter: string): string {
  if (!SHARE_GROUP_PATTERN.test(group)) throw new Error(`shared subscription group ${JSON.stringify(group)}: letters, digits, _ and - only`);
  return `$share/${group}/${filter}`;
}

// CONNACK return codes that retrying cannot fix (MQTT 3.1.1 §3.2.2.3).
const CONNACK_REFUSALS_FATAL = new Set([1, 2, 4, 5]);

export class ExternalRegisterLine implements RegisterLine {
  private readonly requestListeners: RequestListener[] = [];
  private readonly onlineListeners: OnlineListener[] = [];
  private readonly presenceListeners: PresenceListener[] = [];
  private client: MqttClient | undefined;
  private readonly filters: string[];
  private accepting = true;
  /** Registers whose last presence this instance heard was online (its share of them, with several instances). */
  private readonly online = new Set<string>();

  constructor(
    private readonly options: ExternalBrokerOptions,
    private readonly logger: Logger,
  ) {
    this.filters = [sharedFilter(options.group, ALL_UP_TOPICS), sharedFilter(options.group, ALL_STATUS_TOPICS)];
  }

  get registersSeenOnline(): number {
    return this.online.size;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Connects and subscribes; resolves once the first subscription is granted, rejects on refused credentials. */
  async start(): Promise<void> {
    const clientOptions: IClientOptions = {
      clientId: this.options.username, // mosquitto's use_username_as_clientid makes it so anyway
      username: this.options.username,
      password: this.options.password,
      protocolVersion: 4,
      clean: true,
      resubscribe: false, // subscribed again on every connect below
      keepalive: 30,
      reconnectPeriod: this.options.reconnectDelayMs ?? 1_000,
      connectTimeout: 10_000,
      ...(this.options.ca !== undefined ? { ca: this.options.ca, rejectUnauthorized: true } : {}),
    };
    const client = mqtt.connect(this.options.url, clientOptions);
    this.client = client;
    client.on("message", (topic, payload) => this.deliver(topic, payload));
    client.on("close", () => this.logger.warn({ broker: this.options.url }, "broker connection closed; reconnecting"));
    await new Promise<void>((resolve, reject) => {
      let first = true;
      client.on("connect", () => {
        (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
        if (!this.accepting) return;
        client.subscribe(this.filters, { qos: QOS }, (error, granted) => {
          const refused = granted?.filter((grant) => grant.qos === 128) ?? [];
          if (error !== null || refused.length > 0) {
            const reason = error?.message ?? `not allowed: ${refused.map((grant) => grant.topic).join(", ")}`;
            this.logger.error({ reason }, "shared subscription refused by the broker");
            if (first) reject(new Error(`broker refused the shared subscription (${reason}); check the ACL from admin broker files`));
            return;
          }
          this.logger.info({ broker: this.options.url, filters: this.filters }, "register line up (external broker)");
          if (first) resolve();
          first = false;
        });
      });
      client.on("error", (error: Error & { code?: unknown }) => {
        this.logger.warn({ err: error.message, broker: this.options.url }, "broker connection error");
        if (first && typeof error.code === "number" && CONNACK_REFUSALS_FATAL.has(error.code)) {
          client.end(true);
          reject(new Error(`broker ${this.options.url} refused ${this.options.username}: ${error.message}`));
        }
      });
    });
  }

  onRequest(listener: RequestListener): void {
    this.requestListeners.push(listener);
  }

  onRegisterOnline(listener: OnlineListener): void {
    this.onlineListeners.push(listener);
  }

  onPresence(listener: PresenceListener): void {
    this.presenceListeners.push(listener);
  }

  async publishToRegister(to: RegisterAddress, message: ServerMessage): Promise<void> {
    const client = this.client;
    if (client === undefined) throw new Error("register line not started");
    await client.publishAsync(downTopic(to.storeId, to.registerId), JSON.stringify(message), { qos: QOS });
  }

  /** Leaves the shared subscriptions, so the broker hands new requests to the other instances. */
  async stopAccepting(): Promise<void> {
    this.accepting = false;
    const client = this.client;
    if (client === undefined || !client.connected) return;
    await client.unsubscribeAsync(this.filters).catch((error: unknown) => this.logger.warn({ err: error }, "could not leave the shared subscriptions"));
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    client.removeAllListeners("close");
    await client.endAsync().catch(() => client.end(true));
  }

  private deliver(topicName: string, payload: Buffer): void {
    const topic = parseRegisterTopic(topicName);
    if (topic === undefined) {
      this.logger.warn({ topic: topicName }, "message on an unexpected topic ignored");
      return;
    }
    const from = { storeId: topic.storeId, registerId: topic.registerId };
    if (topic.leaf === "up") {
      for (const listener of this.requestListeners) listener(from, payload);
      return;
    }
    if (topic.leaf !== "status") return;
    const presence = parseMessage(PresenceSchema, payload);
    if (!presence.ok) {
      this.logger.warn({ registerId: from.registerId, reason: presence.message }, "malformed presence ignored");
      return;
    }
    for (const listener of this.presenceListeners) listener(from, presence.value);
    if (presence.value.state === "online") {
      this.online.add(from.registerId);
      for (const listener of this.onlineListeners) listener(from);
    } else {
      this.online.delete(from.registerId);
      this.logger.info({ registerId: from.registerId }, "register disconnected");
    }
  }
}
