/**
 * The UnifiedPOS lifecycle (device.ts) over one Transport, shared by every driver. A driver supplies
 * hooks: `resetInput()` (a fresh parser for each new connection), `receive(bytes)` (input while
 * enabled) and `onReady()` (the device is online and enabled: initialize it, resume output).
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { assert } from "../core/assert.js";
import type { Device, DeviceEventMap, DeviceState, PowerState } from "./device.js";
import type { DeviceStatus, Transport } from "./transport.js";

export abstract class PosDevice<Data> extends EventEmitter<DeviceEventMap<Data>> implements Device {
  #state: DeviceState = "closed";
  #power: PowerState = "off";
  #claimed = false;
  #enabled = false;

  constructor(
    readonly name: string,
    protected readonly transport: Transport,
    protected readonly logger: Logger,
  ) {
    super();
    // "error" events are part of the model; an EventEmitter without a listener would throw on them.
    this.on("error", () => undefined);
    transport.on("status", (status) => this.#transportStatus(status));
    transport.on("data", (bytes) => {
      if (this.#enabled) this.receive(bytes);
    });
  }

  get state(): DeviceState {
    return this.#state;
  }
  get powerState(): PowerState {
    return this.#power;
  }
  get claimed(): boolean {
    return this.#claimed;
  }
  get enabled(): boolean {
    return this.#enabled;
  }
  get status(): DeviceStatus {
    return this.transport.status;
  }

  open(): void {
    if (this.#state !== "closed") return;
    this.setState("idle");
  }

  claim(): void {
    assert(this.#state !== "closed", `${this.name}: claim() before open()`);
    if (this.#claimed) return;
    this.#claimed = true;
    this.transport.start();
  }

  enable(): void {
    assert(this.#claimed, `${this.name}: enable() before claim()`);
    if (this.#enabled) return;
    this.#enabled = true;
    if (this.transport.status === "online") this.onReady();
  }

  disable(): void {
    this.#enabled = false;
  }

  async release(): Promise<void> {
    this.disable();
    if (!this.#claimed) return;
    this.#claimed = false;
    await this.transport.stop();
    this.#setPower("off");
  }

  async close(): Promise<void> {
    await this.release();
    this.setState("closed");
  }

  start(): void {
    this.open();
    this.claim();
    this.enable();
  }

  async stop(): Promise<void> {
    await this.whenIdle();
    await this.close();
  }

  /** Resolves when queued output is written or has failed; drivers with output override it. */
  whenIdle(): Promise<void> {
    return Promise.resolve();
  }

  protected setState(state: DeviceState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit("status", { kind: "state", state });
  }

  /** A fresh decoder: nothing half-read on a previous connection may survive. */
  protected abstract resetInput(): void;
  /** Bytes from the device, only while enabled. */
  protected abstract receive(bytes: Buffer): void;
  /** The device is online and enabled (again): initialize it and resume output. */
  protected abstract onReady(): void;
  /** The line went away (unplug): drivers mark output in flight as interrupted. */
  protected onLost(): void {}

  #transportStatus(status: DeviceStatus): void {
    if (status === "online") {
      this.resetInput();
      this.#setPower("online");
      if (this.#enabled) this.onReady();
      return;
    }
    if (status === "offline") {
      this.resetInput();
      this.#setPower("offline");
      this.onLost();
    }
  }

  #setPower(power: PowerState): void {
    if (power === this.#power) return;
    this.#power = power;
    this.logger.info({ device: this.name, power }, `${this.name} power ${power}`);
    this.emit("status", { kind: "power", power });
  }
}
