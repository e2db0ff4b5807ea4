/**
 * The payments bench's register: the register's side of the protocol, cheap enough that the bench
 * measures the server and not itself (issue 14: SimRegister's mqtt.js client, zod checks and timer per
 * request cost the load generator more CPU per payment than the lean floor's whole client).
 *
 * What a register does, all of it: one TCP connection logged in with its own credentials (MQTT 3.1.1
 * CONNECT with username and password), its down topic subscribed at QoS 1, `payment.create` published at
 * QoS 1 with a client-made requestId, the issued code taken from the reply, the pushed `payment.state`
 * taken when it comes and acknowledged twice over (MQTT PUBACK, then a `result.ack` request at QoS 1).
 * What it leaves out, because the bench never needs it: reconnecting, resending, payloads checked
 * against the full schemas (the fields it relies on are checked by hand).
 *
 * Framing straight on a net.Socket: CONNECT and SUBSCRIBE by mqtt-packet, the hot frames by hand
 * (register-mqtt-frames.ts); the PUBACK and the result.ack leave in one write. Timeouts are one sweep
 * for the whole bench (timeout-sweep.ts), not a timer per request or per register.
 */
import { connect, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { generate } from "mqtt-packet";
import { PROTOCOL_VERSION, QOS, downTopic, newTimeOrderedId, upTopic } from "@codepay/contract";
import { leanRegisterFrameBytesMax, leanRegisterKeepaliveS, leanRegisterReplyTimeoutMs } from "../limits.js";
import { benchSweep, type SweepMember } from "./timeout-sweep.js";
import { MqttFrameReader, PACKET_TYPE, decodePublish, encodePuback, encodePublishQos1, type MqttFrame } from "./register-mqtt-frames.js";

export interface LeanRegisterOptions {
  readonly host: string;
  readonly port: number;
  readonly storeId: string;
  readonly registerId: string;
  readonly password: string;
  /** MQTT over TLS with this register's client certificate, which is then its only credential (a nats-server cluster). */
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
}

/** The issued code, as the register shows it. */
export interface LeanIssued {
  readonly code: string;
  readonly paymentId: string;
}

/** The pushed final state of a payment. */
export interface LeanResult {
  readonly state: string;
  readonly paymentId: string;
}

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
  readonly sentAtMs: number;
}

/** The fields of a server message the register relies on. */
interface ServerFields {
  readonly type?: unknown;
  readonly inReplyTo?: unknown;
  readonly paymentId?: unknown;
  readonly resultId?: unknown;
  readonly code?: unknown;
  readonly state?: unknown;
  readonly error?: { readonly code?: unknown; readonly message?: unknown };
}

const messageIdMax = 65_535;
const PINGREQ = generate({ cmd: "pingreq" });
/** The contract's client-made id shape: safe to put in a JSON string as it is. */
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const isClientId = (value: unknown): value is string => typeof value === "string" && CLIENT_ID.test(value);

export class LeanRegister implements SweepMember {
  readonly #options: LeanRegisterOptions;
  readonly #upTopic: Buffer;
  readonly #replies = new Map<string, Waiter<LeanIssued>>();
  readonly #results = new Map<string, Waiter<LeanResult>>();
  /** Results pushed before anyone waited for them; bounded by the payments in flight. */
  readonly #earlyResults = new Map<string, LeanResult>();
  #socket: Socket | undefined;
  #messageId = 0;
  /** When this register last wrote to the server (it pings after half the keepalive of quiet). */
  #lastWriteMs = 0;
  #closedError: Error | undefined;
  /** QoS 1 publishes the server has not acknowledged yet (PUBACK): 0 after a clean run. */
  unacknowledgedPublishes = 0;
  /** Pushed payloads that were not JSON or lacked the fields above. */
  malformedMessages = 0;

  constructor(options: LeanRegisterOptions) {
    this.#options = options;
    this.#upTopic = Buffer.from(upTopic(options.storeId, options.registerId));
  }

  /** Connects, logs in and subscribes; resolves once the SUBACK grants QoS 1. */
  connect(): Promise<void> {
    const tls = this.#options.tls;
    const socket = tls === undefined ? connect({ host: this.#options.host, port: this.#options.port, noDelay: true }) : connectTls({ host: this.#options.host, port: this.#options.port, ca: tls.ca, cert: tls.cert, key: tls.key });
    if (tls !== undefined) socket.setNoDelay(true);
    this.#socket = socket;
    const reader = new MqttFrameReader(leanRegisterFrameBytesMax);
    return new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => {
        this.#fail(error);
        reject(error);
      };
      const onFrame = (frame: MqttFrame): void => {
        if (frame.type === PACKET_TYPE.connack) {
          // [MQTT-3.2.2.3] the second byte of CONNACK is the return code; 0 is accepted.
          if (frame.body[1] !== 0) return fail(new Error(`${this.#options.registerId}: CONNACK refused (${String(frame.body[1])})`));
          this.#write(generate({ cmd: "subscribe", messageId: this.#nextMessageId(), subscriptions: [{ topic: downTopic(this.#options.storeId, this.#options.registerId), qos: QOS }] }));
        } else if (frame.type === PACKET_TYPE.suback) {
          // [MQTT-3.9.3] after the packet id, one return code per topic: the QoS granted, or 0x80.
          if (frame.body[2] !== QOS) return fail(new Error(`${this.#options.registerId}: subscription refused (${String(frame.body[2])})`));
          benchSweep.add(this);
          resolve();
        } else {
          this.#onFrame(frame);
        }
      };
      socket.on("data", (chunk: Buffer) => {
        let frames: MqttFrame[];
        try {
          frames = reader.push(chunk);
        } catch (error) {
          return fail(error instanceof Error ? error : new Error(String(error)));
        }
        for (const frame of frames) onFrame(frame);
      });
      socket.on("error", fail);
      socket.on("close", () => fail(new Error(`${this.#options.registerId}: connection closed`)));
      socket.write(generate({
        cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: leanRegisterKeepaliveS,
        clientId: this.#options.registerId,
        ...(tls === undefined ? { username: this.#options.registerId, password: Buffer.from(this.#options.password) } : {}),
      }));
    });
  }

  /** payment.create -> the issued code; rejects with the server's error code and message. */
  create(paymentId: string, amountMinor: number, currency: string): Promise<LeanIssued> {
    const requestId = newTimeOrderedId();
    const payload = `{"v":${PROTOCOL_VERSION},"type":"payment.create","requestId":"${requestId}","paymentId":"${paymentId}","amount":{"minor":${amountMinor},"currency":"${currency}"}}`;
    return new Promise<LeanIssued>((resolve, reject) => {
      if (this.#closedError !== undefined) return reject(this.#closedError);
      this.#replies.set(requestId, { resolve, reject, sentAtMs: performance.now() });
      this.#write(this.#publish(payload));
    });
  }

  /** The pushed final state of a payment (already acknowledged when it resolves). */
  result(paymentId: string): Promise<LeanResult> {
    const early = this.#earlyResults.get(paymentId);
    if (early !== undefined) {
      this.#earlyResults.delete(paymentId);
      return Promise.resolve(early);
    }
    return new Promise<LeanResult>((resolve, reject) => {
      if (this.#closedError !== undefined) return reject(this.#closedError);
      this.#results.set(paymentId, { resolve, reject, sentAtMs: performance.now() });
    });
  }

  /** Sends DISCONNECT and closes; whoever still waits is told. */
  async stop(): Promise<void> {
    const socket = this.#socket;
    const stopped = new Error(`${this.#options.registerId}: stopped`);
    if (socket === undefined || socket.destroyed) return this.#fail(stopped);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    this.#close(stopped);
    socket.end(generate({ cmd: "disconnect" }));
    await closed;
  }

  #onFrame(frame: MqttFrame): void {
    if (frame.type === PACKET_TYPE.puback) {
      this.unacknowledgedPublishes -= 1;
    } else if (frame.type === PACKET_TYPE.publish) {
      this.#onPublish(frame);
    }
  }

  #onPublish(frame: MqttFrame): void {
    let puback: Buffer | undefined;
    let message: ServerFields;
    try {
      const publish = decodePublish(frame);
      puback = publish.messageId === undefined ? undefined : encodePuback(publish.messageId);
      message = JSON.parse(publish.payload.toString()) as ServerFields;
    } catch {
      this.malformedMessages += 1;
      if (puback !== undefined) this.#write(puback);
      return;
    }
    if (message.type === "payment.state" && isClientId(message.resultId) && isClientId(message.paymentId)) {
      // [MQTT-4.3.2] PUBACK for the push, then result.ack: one write carries both.
      const ack = this.#publish(`{"v":${PROTOCOL_VERSION},"type":"result.ack","requestId":"${newTimeOrderedId()}","paymentId":"${message.paymentId}","resultId":"${message.resultId}"}`);
      this.#write(puback === undefined ? ack : Buffer.concat([puback, ack]));
      this.#settleResult(message.paymentId, { state: String(message.state), paymentId: message.paymentId });
      return;
    }
    if (puback !== undefined) this.#write(puback);
    if (typeof message.inReplyTo === "string") this.#settleReply(message.inReplyTo, message);
    else this.malformedMessages += 1;
  }

  #settleReply(requestId: string, message: ServerFields): void {
    const waiter = this.#replies.get(requestId);
    if (waiter === undefined) return;
    this.#replies.delete(requestId);
    if (message.type === "payment.issued" && typeof message.code === "string" && typeof message.paymentId === "string") {
      waiter.resolve({ code: message.code, paymentId: message.paymentId });
    } else if (message.type === "error") {
      waiter.reject(new Error(`${String(message.error?.code)}: ${String(message.error?.message)}`));
    } else {
      waiter.reject(new Error(`unexpected reply ${String(message.type)}`));
    }
  }

  #settleResult(paymentId: string, result: LeanResult): void {
    const waiter = this.#results.get(paymentId);
    if (waiter === undefined) {
      this.#earlyResults.set(paymentId, result);
      return;
    }
    this.#results.delete(paymentId);
    waiter.resolve(result);
  }

  #publish(payload: string): Buffer {
    this.unacknowledgedPublishes += 1;
    return encodePublishQos1(this.#upTopic, this.#nextMessageId(), payload);
  }

  #nextMessageId(): number {
    this.#messageId = this.#messageId >= messageIdMax ? 1 : this.#messageId + 1;
    return this.#messageId;
  }

  #write(bytes: Buffer): void {
    if (this.#closedError !== undefined) return;
    this.#lastWriteMs = performance.now();
    this.#socket?.write(bytes);
  }

  /** Fails what waited too long (the bench's one sweep calls this), and pings well inside the keepalive. */
  sweep(nowMs: number): void {
    const expiredBeforeMs = nowMs - leanRegisterReplyTimeoutMs;
    for (const [key, waiter] of this.#replies) if (waiter.sentAtMs < expiredBeforeMs) {
      this.#replies.delete(key);
      waiter.reject(new Error(`no reply to ${key} within ${leanRegisterReplyTimeoutMs} ms`));
    }
    for (const [key, waiter] of this.#results) if (waiter.sentAtMs < expiredBeforeMs) {
      this.#results.delete(key);
      waiter.reject(new Error(`no result for ${key} within ${leanRegisterReplyTimeoutMs} ms`));
    }
    // [MQTT-3.1.2-24] the server may drop a client silent for 1.5 x keepalive.
    if (nowMs - this.#lastWriteMs > (leanRegisterKeepaliveS * 1000) / 2) this.#write(PINGREQ);
  }

  /** No more writes; whoever waits is told why. */
  #close(error: Error): void {
    if (this.#closedError !== undefined) return;
    this.#closedError = error;
    benchSweep.delete(this);
    for (const waiter of [...this.#replies.values(), ...this.#results.values()]) waiter.reject(error);
    this.#replies.clear();
    this.#results.clear();
  }

  #fail(error: Error): void {
    this.#close(error);
    this.#socket?.destroy();
  }
}
