/**
 * The register line over a nats-server cluster (docs/deploy/broker-cluster.md). Registers stay MQTT
 * clients of the cluster's MQTT listeners, partitioned over K register accounts; each server instance
 * holds one NATS connection, authenticated by its client certificate (CN codepay-server-N), in the
 * instances' account that imports from every register account (nats-cluster-files.ts):
 *   in   queue group subscriptions on `*.codepay.v1.*.*.up` and `.status`, so the cluster hands every
 *        register request (and presence), from whichever account, to exactly one instance; the first
 *        subject token names the register's account
 *   out  a request on `a<k>.deliver.<down subject>`: stored in register account k's QoS 1 message
 *        stream and delivered to the register's session at QoS 1 (also when it is away); the reply is
 *        JetStream's acknowledgement, once the replicas have it. A plain NATS publish would reach an
 *        MQTT subscriber at QoS 0 only. The message carries the header nats-server's own MQTT
 *        publishes carry (`Nmqtt-Pub: 1`, the QoS: `mqttNatsHeader` in server/mqtt.go): on a 3-node
 *        cluster, messages stored without it were acknowledged but never delivered to a session,
 *        live or on its return (tried here on 2.9.10; with it, both, at QoS 1).
 * The connection lists every node and moves to the next when its node is lost. A request taken by an
 * instance that dies before answering is not redelivered by the queue group (core NATS is at most
 * once): the register's outbox sends it again with the same requestId, as with mosquitto.
 */
import { connect, headers, type MsgHdrs, type NatsConnection, type Subscription } from "nats";
import { ALL_STATUS_TOPICS, ALL_UP_TOPICS, PresenceSchema, parseMessage, parseRegisterTopic, type ServerMessage } from "@codepay/contract";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import { deliverSubject, isRegisterAccountCount, mqttTopic, natsSubject, registerAccountIndex, splitAccountSubject } from "./nats-cluster-files.js";
import type { OnlineListener, RegisterLine, RequestListener, PresenceListener } from "./register-line.js";
import type { RegisterAddress } from "../settlement/register-requests.js";

export interface ClusterBrokerOptions {
  /** nats://host:4222 (or tls://) of every node (or a few). */
  readonly natsUrls: readonly string[];
  /** How many register accounts the authorization splits registers over (`admin broker files --broker nats --accounts K`). */
  readonly accounts: number;
  /** This instance's name, the CN of its certificate (codepay-server-N). */
  readonly name: string;
  /** Queue group; every instance of one deployment uses the same. */
  readonly group: string;
  /** PEM: the CA that signed the nodes' certificates, this instance's certificate and key. */
  readonly tls: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
  readonly reconnectDelayMs?: number;
}

/** nats-server's MQTT layer reads a stored message's QoS from this header (server/mqtt.go, mqttNatsHeader). */
const MQTT_QOS_HEADER = "Nmqtt-Pub";

function qos1Headers(): MsgHdrs {
  const set = headers();
  set.set(MQTT_QOS_HEADER, "1");
  return set;
}

/** What JetStream answers a stored message with: `{"stream":"$MQTT_msgs","seq":N}`, or an error. */
interface StoreAck {
  readonly stream?: string;
  readonly seq?: number;
  readonly error?: { readonly description?: string; readonly code?: number };
}

export class NatsRegisterLine implements RegisterLine {
  private readonly requestListeners: RequestListener[] = [];
  private readonly onlineListeners: OnlineListener[] = [];
  private readonly presenceListeners: PresenceListener[] = [];
  private nats: NatsConnection | undefined;
  private subscriptions: Subscription[] = [];
  private readonly online = new Set<string>();
  /** Registers whose messages came from another account than the hash names: that account wins. */
  private readonly accountOverride = new Map<string, number>();
  private readonly qos1 = qos1Headers();

  constructor(
    private readonly options: ClusterBrokerOptions,
    private readonly logger: Logger,
  ) {
    if (options.natsUrls.length === 0) throw new Error("the cluster line needs at least one NATS url");
    if (!isRegisterAccountCount(options.accounts)) throw new Error("the cluster line needs the register accounts' count (1 or more)");
  }

  get registersSeenOnline(): number {
    return this.online.size;
  }

  get connected(): boolean {
    return this.nats !== undefined && !this.nats.isClosed();
  }

  /** Connects; resolves once the queue groups are joined (results can go out from then on). */
  async start(): Promise<void> {
    const { tls } = this.options;
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
        nats.subscribe(`*.${natsSubject(filter)}`, {
          queue: this.options.group,
          callback: (error, message) => {
            if (error !== null) this.logger.error({ err: error.message, filter }, "queue group subscription failed (permissions?)");
            else this.deliver(message.subject, Buffer.from(message.data));
          },
        }),
      );
    }
    await nats.flush(); // the subscriptions reached the server
    this.logger.info({ nats: this.options.natsUrls, accounts: this.options.accounts, group: this.options.group }, "register line up (nats-server cluster)");
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

  /** Resolves once the register's account has stored the message (its replicas too); throws otherwise, and the outbox sends it again. */
  async publishToRegister(to: RegisterAddress, message: ServerMessage): Promise<void> {
    const nats = this.nats;
    if (nats === undefined) throw new Error("register line not started");
    const account = this.accountOverride.get(to.registerId) ?? registerAccountIndex(to.registerId, this.options.accounts);
    const reply = await nats.request(deliverSubject(account, to.storeId, to.registerId), JSON.stringify(message), { timeout: limits.clusterDeliverTimeoutMs, headers: this.qos1 });
    let ack: StoreAck;
    try {
      ack = reply.json<StoreAck>();
    } catch {
      throw new Error(`register account ${String(account)} answered a delivery with something that is not JetStream's acknowledgement`);
    }
    if (ack.error !== undefined || typeof ack.seq !== "number") throw new Error(`register account ${String(account)} did not store the message: ${ack.error?.description ?? "no sequence number"}`);
  }

  /** Leaves the queue groups, so the cluster hands new requests to the other instances. */
  async stopAccepting(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    await this.nats?.flush().catch(() => undefined);
  }

  async stop(): Promise<void> {
    const nats = this.nats;
    this.nats = undefined;
    await nats?.drain().catch(() => nats.close());
  }

  /** Notes where a register's message came from; warns once when that is not the account the hash names. */
  private rememberAccount(registerId: string, account: number): void {
    if (account === registerAccountIndex(registerId, this.options.accounts)) {
      this.accountOverride.delete(registerId);
      return;
    }
    if (this.accountOverride.get(registerId) !== account) {
      if (this.accountOverride.size >= limits.clusterAccountMemoMax) this.accountOverride.clear();
      this.accountOverride.set(registerId, account);
      this.logger.warn({ registerId, account, accounts: this.options.accounts }, "a register is in another account than --broker-cluster-accounts says: use the count admin broker files --broker nats wrote (nats-accounts) on every instance");
    }
  }

  private deliver(subject: string, payload: Buffer): void {
    const split = splitAccountSubject(subject);
    const topic = split === undefined ? undefined : parseRegisterTopic(mqttTopic(split.subject));
    if (split === undefined || topic === undefined) {
      this.logger.warn({ subject }, "message on an unexpected subject ignored");
      return;
    }
    const from = { storeId: topic.storeId, registerId: topic.registerId };
    this.rememberAccount(from.registerId, split.accountIndex);
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
