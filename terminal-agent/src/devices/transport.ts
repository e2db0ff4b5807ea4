/**
 * One small byte pipe to a device, whatever carries it: a serial port (`/dev/...`, binding injected)
 * or a raw TCP socket (`tcp://host:port`: serial device servers, network printers on port 9100).
 * Writes go one at a time and resolve when drained; on unplug or a dropped socket the transport goes
 * offline and reopens with capped exponential backoff (serialport has no reconnect of its own).
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { AgentError } from "../core/errors.js";
import { deviceWriteQueueMax, deviceWriteTimeoutMs, reconnectDelayMsMax, reconnectDelayMsMin } from "../core/limits.js";
import type { Connect, Connection, ConnectionHandlers } from "./connection.js";
import { connectSerial } from "./serial-connection.js";
import type { SerialBinding } from "./serial-connection.js";
import { connectTcp, parseTcpPath } from "./tcp-connection.js";

export type DeviceStatus = "online" | "offline" | "stopped";

export type { Connect, Connection, ConnectionHandlers } from "./connection.js";

export interface TransportEvents {
  /** Bytes of the current connection only: bytes of a connection that is gone are dropped. */
  data: [bytes: Buffer];
  /**
   * `online` is emitted before the first byte of a new connection, so a listener that starts a fresh
   * parser on `online` never feeds a half line from before an unplug into it.
   */
  status: [status: DeviceStatus];
}

export interface Transport extends EventEmitter<TransportEvents> {
  readonly path: string;
  readonly status: DeviceStatus;
  start(): void;
  stop(): Promise<void>;
  /** Resolves once the bytes are drained to the device; rejects with an AgentError when offline. */
  write(bytes: Buffer): Promise<void>;
}

export interface TransportOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly binding?: SerialBinding | undefined;
  readonly logger: Logger;
  readonly reconnectDelayMsMax?: number;
}

export function openTransport(options: TransportOptions): Transport {
  const tcp = parseTcpPath(options.path);
  const connect: Connect = tcp
    ? (handlers) => connectTcp(tcp, handlers)
    : (handlers) => connectSerial({ path: options.path, baudRate: options.baudRate, binding: options.binding }, handlers);
  return new ReconnectingTransport(options.path, connect, options.logger, options.reconnectDelayMsMax ?? reconnectDelayMsMax);
}

export class ReconnectingTransport extends EventEmitter<TransportEvents> implements Transport {
  #status: DeviceStatus = "offline";
  #connection: Connection | undefined;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #writeChain: Promise<void> = Promise.resolve();
  #writesQueued = 0;
  #started = false;
  /** Bumped on every open attempt and every loss: data carrying an older generation is stale. */
  #generation = 0;

  constructor(
    readonly path: string,
    private readonly connect: Connect,
    private readonly logger: Logger,
    private readonly delayMsMax: number,
  ) {
    super();
  }

  get status(): DeviceStatus {
    return this.#status;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#open();
  }

  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#retryTimer);
    const connection = this.#connection;
    this.#connection = undefined;
    this.#generation++;
    this.#setStatus("stopped");
    await connection?.close().catch((error: unknown) => this.logger.warn({ err: error }, "device close failed"));
  }

  write(bytes: Buffer): Promise<void> {
    if (this.#writesQueued >= deviceWriteQueueMax) return Promise.reject(new AgentError("DEVICE_QUEUE_FULL", `${this.path}: write queue full`));
    this.#writesQueued++;
    const result = this.#writeChain.then(() => this.#writeNow(bytes));
    this.#writeChain = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => {
      this.#writesQueued--;
    });
  }

  async #writeNow(bytes: Buffer): Promise<void> {
    const connection = this.#connection;
    if (!connection || this.#status !== "online") throw new AgentError("DEVICE_OFFLINE", `${this.path} is offline`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AgentError("DEVICE_WRITE_TIMEOUT", `${this.path}: write not drained in ${deviceWriteTimeoutMs} ms`)), deviceWriteTimeoutMs);
    });
    try {
      await Promise.race([connection.write(bytes), timeout]);
    } catch (error) {
      if (error instanceof AgentError) throw error;
      throw new AgentError("DEVICE_WRITE_FAILED", `${this.path}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async #open(): Promise<void> {
    if (!this.#started) return;
    let opened: Connection | undefined;
    const generation = ++this.#generation;
    try {
      const connection = await this.connect({
        onData: (bytes) => {
          if (generation === this.#generation && this.#status === "online") this.emit("data", bytes);
        },
        onClose: (error) => {
          if (opened !== undefined && opened === this.#connection) this.#lost(error);
        },
      });
      opened = connection;
      if (!this.#started) {
        await connection.close();
        return;
      }
      this.#connection = connection;
      this.#attempt = 0;
      this.logger.info({ path: this.path }, "device online");
      this.#setStatus("online");
    } catch (error) {
      this.logger.warn({ path: this.path, err: (error as Error).message }, "device open failed");
      this.#scheduleReopen();
    }
  }

  #lost(error?: Error): void {
    if (!this.#started) return;
    this.#connection = undefined;
    this.#generation++;
    this.logger.warn({ path: this.path, err: error?.message, disconnected: (error as { disconnected?: boolean } | undefined)?.disconnected === true }, "device offline");
    this.#setStatus("offline");
    this.#scheduleReopen();
  }

  #scheduleReopen(): void {
    if (!this.#started) return;
    this.#setStatus("offline");
    const delayMs = Math.min(this.delayMsMax, reconnectDelayMsMin * 2 ** Math.min(this.#attempt, 16));
    this.#attempt++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#open(), delayMs);
    this.#retryTimer.unref();
  }

  #setStatus(status: DeviceStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit("status", status);
  }
}
