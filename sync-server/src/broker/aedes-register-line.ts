import type { Aedes, AedesPublishPacket, Client } from "aedes";
import { ALL_STATUS_TOPICS, ALL_UP_TOPICS, PresenceSchema, QOS, downTopic, parseMessage, parseRegisterTopic, type ServerMessage } from "@codepay/contract";
import type { Logger } from "../logger.js";
import type { BrokerHooks } from "./broker-hooks.js";
import type { OnlineListener, PresenceListener, RegisterLine, RequestListener } from "./register-line.js";
import type { RegisterAddress } from "../settlement/register-requests.js";

/** The register line over the embedded aedes broker: in-process subscribe and publish, no extra hop. */
export class AedesRegisterLine implements RegisterLine {
  private readonly requestListeners: RequestListener[] = [];
  private readonly onlineListeners: OnlineListener[] = [];
  private readonly presenceListeners: PresenceListener[] = [];
  /** Connections already announced online (one aedes Client per connection). */
  private readonly announced = new WeakSet<Client>();

  constructor(
    private readonly aedes: Aedes,
    private readonly hooks: BrokerHooks,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    // Online once per connection, when the register can receive what is resent to it: at clientReady
    // when its session brought the down subscription back, else at its SUBSCRIBE to it (the agent
    // subscribes on every connect, so announcing at both read the outbox twice per login).
    this.aedes.on("clientReady", (client) => {
      const identity = this.hooks.identityOf(client);
      if (identity === undefined) return;
      const subscribed = (client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions ?? {};
      if (downTopic(identity.storeId, identity.registerId) in subscribed) this.announce(client, identity);
    });
    this.aedes.on("subscribe", (subscriptions, client) => {
      const identity = this.hooks.identityOf(client);
      if (identity === undefined) return;
      const down = downTopic(identity.storeId, identity.registerId);
      if (subscriptions.some((subscription) => subscription.topic === down)) this.announce(client, identity);
    });
    this.aedes.on("clientDisconnect", (client) => {
      const identity = this.hooks.identityOf(client);
      if (identity !== undefined) this.logger.info({ registerId: identity.registerId }, "register disconnected");
    });
    await new Promise<void>((resolve) => {
      this.aedes.subscribe(ALL_UP_TOPICS, (packet, done) => this.deliver(packet, done), resolve);
    });
    // Presence, wills included (the ACL lets a register publish only its own status topic).
    await new Promise<void>((resolve) => {
      this.aedes.subscribe(ALL_STATUS_TOPICS, (packet, done) => this.deliverPresence(packet, done), resolve);
    });
  }

  onPresence(listener: PresenceListener): void {
    this.presenceListeners.push(listener);
  }

  private deliverPresence(packet: AedesPublishPacket, done: () => void): void {
    done();
    const topic = parseRegisterTopic(packet.topic);
    if (topic === undefined || topic.leaf !== "status") return;
    const presence = parseMessage(PresenceSchema, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
    if (!presence.ok) {
      this.logger.warn({ registerId: topic.registerId, reason: presence.message }, "malformed presence ignored");
      return;
    }
    for (const listener of this.presenceListeners) listener({ storeId: topic.storeId, registerId: topic.registerId }, presence.value);
  }

  onRequest(listener: RequestListener): void {
    this.requestListeners.push(listener);
  }

  onRegisterOnline(listener: OnlineListener): void {
    this.onlineListeners.push(listener);
  }

  publishToRegister(to: RegisterAddress, message: ServerMessage): Promise<void> {
    const packet = {
      cmd: "publish" as const,
      topic: downTopic(to.storeId, to.registerId),
      payload: Buffer.from(JSON.stringify(message), "utf8"),
      qos: QOS,
      retain: false,
      dup: false,
    };
    return new Promise((resolve, reject) => {
      this.aedes.publish(packet, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * aedes.publish calls back once the packet is written to the client's socket; end() sends it and
   * then a FIN, and the client is closed when that has flushed (close() alone destroys the socket
   * and could drop the reply). mqtt.js sees the FIN and reports the connection closed.
   */
  disconnectRegister(register: RegisterAddress): Promise<void> {
    // aedes keeps connected clients by id (its .d.ts does not declare it); the client id is the register id (broker-hooks.ts).
    const client = (this.aedes as unknown as { clients: Record<string, Client | undefined> }).clients[register.registerId];
    if (client === undefined || this.hooks.identityOf(client)?.storeId !== register.storeId) return Promise.resolve();
    this.logger.info({ registerId: register.registerId }, "closing a refused register's connection");
    return new Promise((resolve) => {
      const close = () => client.close(() => resolve());
      if (client.conn.writableFinished) return close();
      client.conn.once("finish", close);
      client.conn.once("close", close);
      client.conn.end();
    });
  }

  private deliver(packet: AedesPublishPacket, done: () => void): void {
    // The ACL already confined the publisher to its own up topic, so the topic names the sender.
    const topic = parseRegisterTopic(packet.topic);
    if (topic !== undefined && topic.leaf === "up") {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      for (const listener of this.requestListeners) listener({ storeId: topic.storeId, registerId: topic.registerId }, payload);
    }
    done();
  }

  private announce(client: Client, identity: RegisterAddress): void {
    if (this.announced.has(client)) return;
    this.announced.add(client);
    for (const listener of this.onlineListeners) listener(identity);
  }
}
