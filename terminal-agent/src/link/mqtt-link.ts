/**
 * The dedicated line to the sync-server: one mqtt.js client per register.
 *   clientId = username = registerId; clean: false so the broker keeps our session and QoS 1 queue;
 *   last will = retained `presence offline` on the status topic; QoS 1 everywhere.
 * Incoming messages go through `handleMessage`, which mqtt.js calls before it sends the PUBACK: the
 * handler (journal write) finishes first, so a result the broker sees acknowledged is on disk.
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import mqtt from "mqtt";
import type { IPublishPacket, MqttClient } from "mqtt";
import type { Logger } from "pino";
import { PROTOCOL_VERSION, QOS, ServerMessageSchema, downTopic, parseMessage, statusTopic, upTopic } from "@codepay/contract";
import type { Presence, RegisterRequest, ServerMessage } from "@codepay/contract";
import { mqttConnectTimeoutMs, mqttKeepaliveS } from "../core/limits.js";
import { connectFailureOf, MQTT_RECONNECT_BOUNDS, ReconnectBackoff, type ConnectFailure } from "../core/reconnect-backoff.js";

export interface LinkOptions {
  readonly url: string;
  /** More nodes of the same cluster: each reconnect goes to the next address (url first), session resumed there. */
  readonly failoverUrls?: readonly string[];
  readonly storeId: string;
  readonly registerId: string;
  readonly password: string;
  /** "certificate": no user name or password in CONNECT; the client certificate is the identity. */
  readonly authentication?: "password" | "certificate";
  /** PEM contents for mqtts://: the server's CA, and this register's certificate and key. */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  readonly logger: Logger;
  readonly now: () => number;
  /** Reported with the online presence (fleet health). */
  readonly agentVersion?: string | undefined;
  readonly reconnectDelayMsMin?: number;
  readonly reconnectDelayMsMax?: number;
  /** [0, 1) for the reconnect jitter; default Math.random. */
  readonly random?: () => number;
}

/** Runs before the PUBACK of the message; a rejection withholds the PUBACK (the broker redelivers). */
export type MessageHandler = (message: ServerMessage) => void | Promise<void>;

export interface LinkEvents {
  up: [];
  down: [];
}

export class MqttLink extends EventEmitter<LinkEvents> {
  #client: MqttClient | undefined;
  #up = false;
  readonly #backoff: ReconnectBackoff;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Why the current attempt failed, from its 'error' event (none: "other"). */
  #failure: ConnectFailure = "other";
  readonly #upTopic: string;
  readonly #downTopic: string;
  readonly #statusTopic: string;
  /** The configured devices' states, reported with the online presence and again whenever they change. */
  #devices: Presence["devices"];

  constructor(
    private readonly options: LinkOptions,
    private readonly onMessage: MessageHandler,
  ) {
    super();
    this.#backoff = new ReconnectBackoff(
      { ...MQTT_RECONNECT_BOUNDS, ...(options.reconnectDelayMsMin !== undefined ? { delayMsMin: options.reconnectDelayMsMin } : {}), ...(options.reconnectDelayMsMax !== undefined ? { delayMsMax: options.reconnectDelayMsMax } : {}) },
      options.random ?? Math.random,
    );
    this.#upTopic = upTopic(options.storeId, options.registerId);
    this.#downTopic = downTopic(options.storeId, options.registerId);
    this.#statusTopic = statusTopic(options.storeId, options.registerId);
  }

  get isUp(): boolean {
    return this.#up;
  }

  get requestTopic(): string {
    return this.#upTopic;
  }

  start(): void {
    const { registerId, password, logger } = this.options;
    const client = mqtt.connect(this.options.url, {
      ...clusterServers(this.options.url, this.options.failoverUrls),
      clientId: registerId,
      ...(this.options.authentication === "certificate" ? {} : { username: registerId, password }),
      clean: false,
      keepalive: mqttKeepaliveS,
      protocolVersion: 4, // aedes speaks MQTT 3.1.1
      connectTimeout: mqttConnectTimeoutMs,
      // mqtt.js retries on a fixed period (a setInterval), and never after a refused CONNACK: the link
      // schedules every reconnect itself, with backoff and full jitter (#closed).
      reconnectPeriod: 0,
      // mqtt-packet otherwise pre-builds a 2-byte Buffer for every 16-bit number (65,536 objects,
      // about 6 MB of heap) to save an allocation per packet id; a register sends a few packets a minute.
      writeCache: false,
      will: { topic: this.#statusTopic, payload: Buffer.from(JSON.stringify(this.#presence("offline"))), qos: QOS, retain: true },
      ...tlsOptions(this.options.tls),
    });
    this.#client = client;
    client.handleMessage = (packet, callback) => {
      this.#handle(packet).then(
        () => callback(),
        (error: unknown) => {
          logger.error({ err: error }, "incoming message not stored; PUBACK withheld so the broker redelivers");
          callback(error as Error);
        },
      );
    };
    client.on("connect", () => this.#connected(client));
    client.on("close", () => this.#closed(client));
    client.on("error", (error) => {
      // mqtt.js sets `connected` at CONNACK and clears it at close, which comes after this error.
      this.#failure = connectFailureOf((error as NodeJS.ErrnoException).code, !client.connected);
      logger.warn({ err: error.message }, "mqtt error");
    });
  }

  /** Publishes a request (already in the outbox). Resolves at the broker's PUBACK. */
  async publish(request: RegisterRequest): Promise<void> {
    const client = this.#client;
    if (!client) throw new Error("link not started");
    await client.publishAsync(this.#upTopic, JSON.stringify(request), { qos: QOS });
  }

  /**
   * The devices' states changed: the retained online presence says so (at once while connected, else
   * at the next connect). Unchanged states publish nothing.
   */
  setDevices(devices: NonNullable<Presence["devices"]>): void {
    if (JSON.stringify(devices) === JSON.stringify(this.#devices)) return;
    this.#devices = { ...devices };
    const client = this.#client;
    if (client?.connected === true) client.publish(this.#statusTopic, JSON.stringify(this.#presence("online")), { qos: QOS, retain: true });
  }

  /** Says goodbye (retained offline presence, so the will is not needed) and closes. */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    if (client.connected) {
      await withTimeout(client.publishAsync(this.#statusTopic, JSON.stringify(this.#presence("offline")), { qos: QOS, retain: true }), 2_000).catch(
        () => undefined,
      );
    }
    await withTimeout(client.endAsync(), 2_000).catch(() => client.end(true));
    this.#setUp(false);
  }

  #connected(client: MqttClient): void {
    // Nagle's algorithm costs ~88 ms per request/reply round trip on loopback (DESIGN-NOTES, MQTT).
    (client.stream as Socket | undefined)?.setNoDelay?.(true);
    if (client.stream instanceof TLSSocket) keepTlsSession(client, client.stream);
    this.#backoff.connected(this.options.now());
    client.publish(this.#statusTopic, JSON.stringify(this.#presence("online")), { qos: QOS, retain: true });
    client.subscribe(this.#downTopic, { qos: QOS }, (error) => {
      if (error) {
        this.options.logger.error({ err: error.message }, "subscribe failed");
        return;
      }
      this.options.logger.info({ topic: this.#downTopic }, "mqtt link up");
      this.#setUp(true);
    });
  }

  #closed(client: MqttClient): void {
    if (this.#up) this.options.logger.warn("mqtt link down");
    this.#setUp(false);
    // Stopped, or a retry already waiting (a failed attempt can close twice): nothing to schedule.
    if (this.#client !== client || this.#reconnectTimer !== undefined) return;
    const failure = this.#failure;
    this.#failure = "other";
    const delayMs = this.#backoff.nextDelayMs(this.options.now(), failure);
    this.options.logger.debug({ delayMs, attempt: this.#backoff.attempt, failure }, "mqtt reconnect scheduled");
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#client !== client) return;
      // The same stores: QoS 1 publishes not yet acknowledged go out again on the new connection.
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delayMs);
  }

  #setUp(up: boolean): void {
    if (this.#up === up) return;
    this.#up = up;
    this.emit(up ? "up" : "down");
  }

  async #handle(packet: IPublishPacket): Promise<void> {
    if (packet.topic !== this.#downTopic) {
      this.options.logger.warn({ topic: packet.topic }, "message on an unexpected topic ignored");
      return;
    }
    const parsed = parseMessage(ServerMessageSchema, packet.payload as Buffer | string);
    if (!parsed.ok) {
      // Acknowledge and drop: a malformed message redelivered forever would block the session.
      this.options.logger.warn({ code: parsed.code, problem: parsed.message }, "malformed message from server ignored");
      return;
    }
    await this.onMessage(parsed.value);
  }

  #presence(state: Presence["state"]): Presence {
    const online = state === "online";
    return {
      v: PROTOCOL_VERSION,
      type: "presence",
      state,
      at: this.options.now(),
      ...(online && this.options.agentVersion !== undefined ? { agentVersion: this.options.agentVersion } : {}),
      ...(online && this.#devices !== undefined ? { devices: this.#devices } : {}),
    };
  }
}

/**
 * mqtt.js's `servers`: every connection attempt takes the next address (round robin), so after a
 * lost node the reconnect goes to another; clean: false and the same client id resume the session
 * the cluster keeps in its replicated streams, with the QoS 1 messages not yet acknowledged.
 */
function clusterServers(url: string, failoverUrls: readonly string[] | undefined): { servers?: { host: string; port: number; protocol: "mqtt" | "mqtts" }[] } {
  if (failoverUrls === undefined || failoverUrls.length === 0) return {};
  return {
    servers: [url, ...failoverUrls].map((address) => {
      const parsed = new URL(address);
      const secure = parsed.protocol === "mqtts:";
      return { host: parsed.hostname, port: Number(parsed.port || (secure ? 8883 : 1883)), protocol: secure ? "mqtts" : "mqtt" };
    }),
  };
}

/**
 * The next connect resumes this TLS session (mqtt.js hands its options to tls.connect at every
 * connect): after a server restart every register reconnects at once, and a resumed handshake costs
 * the server and the register about half of a full one with certificates (issue 23; the server keeps
 * its ticket key across restarts). A ticket the server no longer honours only means a full handshake.
 * By CONNACK the first tickets have arrived (the server sends them before it reads CONNECT); later
 * ones come as 'session' events.
 */
function keepTlsSession(client: MqttClient, socket: TLSSocket): void {
  const options = client.options as { session?: Buffer };
  const current = socket.getSession();
  if (current !== undefined) options.session = current;
  socket.on("session", (session: Buffer) => (options.session = session));
}

function tlsOptions(tls: LinkOptions["tls"]): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } {
  if (tls === undefined) return {};
  return {
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    rejectUnauthorized: true,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
