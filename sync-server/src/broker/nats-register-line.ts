/**
 * The register line over a nats-server cluster (docs/deploy/broker-cluster.md). Registers stay MQTT
 * clients of the cluster's MQTT listeners; each server instance holds two connections to it, both
 * authenticated by its client certificate (CN codepay-server-N):
 *   NATS  one queue group subscription per subject family, so the cluster hands every register
 *         request (and presence) to exactly one instance: codepay.v1.*.*.up, codepay.v1.*.*.status
 *   MQTT  results and replies to the register's `.../down` at QoS 1. A NATS publish would reach an
 *         MQTT subscriber at QoS 0 only (nothing kept for a register that is away); an MQTT QoS 1
 *         publish is stored in the replicated JetStream stream before the PUBACK.
 * Both connections list every node and move to the next when theirs is lost. A request taken by an
 * instance that dies before answering is not redelivered by the queue group (core NATS is at most
 * once): the register's outbox sends it again with the same requestId, as with mosquitto.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { connect, type NatsConnection, type Subscription } from "nats";
import { ALL_STATUS_TOPICS, ALL_UP_TOPICS, PresenceSchema, QOS, downTopic, parseMessage, parseRegisterTopic, type ServerMessage } from "@codepay/contract";
import type { Logger } from "../logger.js";
import { mqttTopic, natsSubject } from "./nats-cluster-files.js";
import type { OnlineListener, RegisterLine, RequestListener, PresenceListener } from "./register-line.js";
import type { RegisterAddress } from "../settlement/register-requests.js";

export interface ClusterBrokerOptions {
  /** nats://host:4222 (or tls://) of every node (or a few): the request queue group. */
  readonly natsUrls: readonly string[];
  /** mqtts://host:8883 of every node (or a few): results to the registers. */
  readonly mqttUrls: readonly string[];
  /** This instance's name, the CN of its certificate (codepay-server-N); also its MQTT client id. */
  readonly name: string;
  /** Queue group; every instance of one deployment uses the same. */
  readonly group: string;
  /** PEM: the CA that signed the nodes' certificates, this instance's certificate and key. */
  readonly tls: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
  readonly reconnectDelayMs?: number;
}

function mqttServers(urls: readonly string[]): NonNullable<IClientOptions["servers"]> {
  return urls.map((url) => {
    const parsed = new URL(url);
    if (parsed.protocol !== "mqtts:" && parsed.protocol !== "mqtt:") throw new Error(`cluster MQTT url ${url}: expected mqtts://host:port`);
    return { host: parsed.hostname, port: Number(parsed.port || (parsed.protocol === "mqtts:" ? 8883 : 1883)), protocol: parsed.protocol === "mqtts:" ? "mqtts" : "mqtt" };
  });
}

export class NatsRegisterLine implements RegisterLine {
  private readonly requestListeners: RequestListener[] = [];
  private readonly onlineListeners: OnlineListener[] = [];
  private readonly presenceListeners: PresenceListener[] = [];
  private nats: NatsConnection | undefined;
  private mqtt: MqttClient | undefined;
  private subscriptions: Subscription[] = [];
  private readonly online = new Set<string>();

  constructor(
    private readonly options: ClusterBrokerOptions,
    private readonly logger: Logger,
  ) {
    if (options.natsUrls.length === 0 || options.mqttUrls.length === 0) throw new Error("the cluster line needs at least one NATS and one MQTT url");
  }

  get registersSeenOnline(): number {
    return this.online.size;
  }

  get connected(): boolean {
    return this.mqtt?.connected === true && this.nats !== undefined && !this.nats.isClosed();
  }

  /** Connects both ways; resolves once results can go out and the queue group is joined. */
  async start(): Promise<void> {
    const { tls } = this.options;
    this.mqtt = await this.connectMqtt();
    const nats = await connect({
      servers: [...this.options.natsUrls],
      name: this.options.name,
      tls: { ca: tls.ca.toString("utf8"), cert: tls.cert.toString("utf8"), key: tls.key.toString("utf8") },
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectDelayMs ?? 1_000,
      pingInterval: 10_000,
    });
    this.nats = nats;
    void this.watchStatus(nats);
    for (const filter of [ALL_UP_TOPICS, ALL_STATUS_TOPICS]) {
      this.subscriptions.push(
        nats.subscribe(natsSubject(filter), {
          queue: this.options.group,
          callback: (error, message) => {
            if (error !== null) this.logger.error({ err: error.message, filter }, "queue group subscription failed (permissions?)");
            else this.deliver(mqttTopic(message.subject), Buffer.from(message.data));
          },
        }),
      );
    }
    await nats.flush(); // the subscriptions reached the server
    this.logger.info({ nats: this.options.natsUrls, mqtt: this.options.mqttUrls, group: this.options.group }, "register line up (nats-server cluster)");
  }

  private async connectMqtt(): Promise<MqttClient> {
    const { tls } = this.options;
    // The first url too: mqtt.js wants a protocol up front when given a client certificate.
    const client = mqtt.connect(this.options.mqttUrls[0]!, {
      servers: mqttServers(this.options.mqttUrls),
      clientId: this.options.name,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: this.options.reconnectDelayMs ?? 1_000,
      connectTimeout: 10_000,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: true,
    });
    client.on("connect", () => (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
    client.on("close", () => this.logger.warn({ name: this.options.name }, "cluster MQTT connection closed; moving to the next node"));
    client.on("error", (error) => this.logger.warn({ err: error.message }, "cluster MQTT connection error"));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no cluster MQTT node answered (${this.options.mqttUrls.join(", ")})`)), 30_000);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
    }).catch((error: unknown) => {
      client.end(true);
      throw error;
    });
    return client;
  }

  private async watchStatus(nats: NatsConnection): Promise<void> {
    for await (const status of nats.status()) {
      if (status.type === "disconnect" || status.type === "reconnect" || status.type === "error") this.logger.warn({ status: status.type, data: String(status.data) }, "cluster NATS connection");
    }
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
    const client = this.mqtt;
    if (client === undefined) throw new Error("register line not started");
    await client.publishAsync(downTopic(to.storeId, to.registerId), JSON.stringify(message), { qos: QOS });
  }

  /** Leaves the queue groups, so the cluster hands new requests to the other instances. */
  async stopAccepting(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    await this.nats?.flush().catch(() => undefined);
  }

  async stop(): Promise<void> {
    const [nats, client] = [this.nats, this.mqtt];
    this.nats = undefined;
    this.mqtt = undefined;
    await nats?.drain().catch(() => nats.close());
    if (client !== undefined) {
      client.removeAllListeners("close");
      await client.endAsync().catch(() => client.end(true));
    }
  }

  private deliver(topicName: string, payload: Buffer): void {
    const topic = parseRegisterTopic(topicName);
    if (topic === undefined) {
      this.logger.warn({ topic: topicName }, "message on an unexpected subject ignored");
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
    }
  }
}
