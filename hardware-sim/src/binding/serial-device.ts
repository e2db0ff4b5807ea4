/**
 * Serves one emulator on a real serial port (a USB serial adapter cabled null-modem to a register,
 * or one end of a socat pair): the simulator is the device at the far end of the wire, so a real
 * agent on the other machine cannot tell it from the display, printer or card reader it expects.
 * The port is opened by the path given (use /dev/serial/by-id/...). When it goes away (adapter
 * pulled: the port closes, or its device node disappears), the device reopens it with backoff, as
 * the agent's transport does on its side.
 */
import { existsSync } from "node:fs";
import { SerialPort } from "serialport";
import { serialPresenceCheckIntervalMs, serialReopenDelayMsMax, serialReopenDelayMsMin } from "../limits.js";
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { BytePacer } from "./byte-pacer.js";

export interface SerialDeviceOptions {
  readonly emulator: DeviceEmulator;
  readonly path: string;
  readonly baudRate: number;
  readonly baudPacing: boolean;
  /** Told when the port closes unexpectedly or a reopen fails (the device keeps trying). */
  readonly onProblem?: ((message: string) => void) | undefined;
}

export interface SerialDevice {
  readonly path: string;
  /** True while the port is open. */
  readonly isOpen: boolean;
  stop(): Promise<void>;
  /** Lets go of the port (the emulator keeps its state); no reopen until replug. */
  unplug(): Promise<void>;
  /** Opens the port again. */
  replug(): Promise<void>;
}

/** Opens the port now (a wrong path fails here, clearly) and keeps it open until stop. */
export async function startSerialDevice(options: SerialDeviceOptions): Promise<SerialDevice> {
  const line = new SerialLine(options);
  await line.open();
  return {
    path: options.path,
    get isOpen() {
      return line.isOpen;
    },
    stop: () => line.release(),
    unplug: () => line.release(),
    replug: () => line.replug(),
  };
}

/** One port held open for an emulator: attach, notice it vanish, reopen with backoff, let go. */
class SerialLine {
  #port: SerialPort | undefined;
  #detach: (() => void) | undefined;
  #wanted = true;
  #reopenTimer: NodeJS.Timeout | undefined;
  #reopenDelayMs = serialReopenDelayMsMin;
  #presenceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SerialDeviceOptions) {}

  get isOpen(): boolean {
    return this.#port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    const opened = await openPort(this.options.path, this.options.baudRate);
    if (!this.#wanted) {
      await closePort(opened);
      return;
    }
    this.#port = opened;
    this.#detach = attachEmulator(opened, this.options);
    opened.once("close", () => this.#lost(opened, "closed by the system"));
    // A device that only listens may never see an error when its line vanishes (a pty's reads do not
    // report the hang-up): the device node going away (USB adapter pulled, socat gone) says it.
    this.#presenceTimer = setInterval(() => {
      if (!existsSync(this.options.path)) this.#lost(opened, "device node gone");
    }, serialPresenceCheckIntervalMs);
    this.#presenceTimer.unref();
  }

  async release(): Promise<void> {
    this.#wanted = false;
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    const closing = this.#letGo();
    if (closing !== undefined) await closePort(closing);
  }

  async replug(): Promise<void> {
    if (this.#wanted) return;
    this.#wanted = true;
    await this.open();
  }

  /** Stops watching and feeding the port; returns it for closing. */
  #letGo(): SerialPort | undefined {
    clearInterval(this.#presenceTimer);
    this.#presenceTimer = undefined;
    this.#detach?.();
    this.#detach = undefined;
    const port = this.#port;
    this.#port = undefined;
    return port;
  }

  /** The port went away under us: let go of it and try to reopen. */
  #lost(opened: SerialPort, why: string): void {
    if (this.#port !== opened) return; // already handled, or closed by us
    void closePort(this.#letGo()!);
    this.options.onProblem?.(`${this.options.path}: port closed (${why}); reopening`);
    this.#scheduleReopen();
  }

  #scheduleReopen(): void {
    if (!this.#wanted || this.#reopenTimer !== undefined) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      this.open().then(
        () => (this.#reopenDelayMs = serialReopenDelayMsMin),
        (error: unknown) => {
          this.options.onProblem?.(`${this.options.path}: reopen failed (${(error as Error).message}); retrying`);
          this.#reopenDelayMs = Math.min(this.#reopenDelayMs * 2, serialReopenDelayMsMax);
          this.#scheduleReopen();
        },
      );
    }, this.#reopenDelayMs);
    this.#reopenTimer.unref();
  }
}

export function openPort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  return new Promise((resolve, reject) => port.open((error) => (error ? reject(error) : resolve(port))));
}

export function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}

/** Bytes from the port go to the emulator, the emulator's answers go out on the port, paced when asked. */
export function attachEmulator(port: SerialPort, options: { readonly emulator: DeviceEmulator; readonly baudRate: number; readonly baudPacing: boolean }): () => void {
  const baudRate = options.baudPacing ? options.baudRate : undefined;
  const toDevice = new BytePacer((bytes) => options.emulator.receive(bytes), baudRate);
  const toHost = new BytePacer((bytes) => port.write(bytes), baudRate);
  const onData = (bytes: Buffer): void => toDevice.send(bytes);
  const onError = (): void => {
    // A write error means the far side went away; the emulator keeps its state.
  };
  port.on("data", onData);
  port.on("error", onError);
  const detachTransmit = options.emulator.onTransmit((bytes) => toHost.send(Buffer.from(bytes)));
  return () => {
    detachTransmit();
    toDevice.stop();
    toHost.stop();
    port.off("data", onData);
  };
}
