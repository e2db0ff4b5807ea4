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
  let port: SerialPort | undefined;
  let detach: (() => void) | undefined;
  let wanted = true;
  let reopenTimer: NodeJS.Timeout | undefined;
  let reopenDelayMs = serialReopenDelayMsMin;

  const scheduleReopen = (): void => {
    if (!wanted || reopenTimer !== undefined) return;
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      open().then(
        () => (reopenDelayMs = serialReopenDelayMsMin),
        (error: unknown) => {
          options.onProblem?.(`${options.path}: reopen failed (${(error as Error).message}); retrying`);
          reopenDelayMs = Math.min(reopenDelayMs * 2, serialReopenDelayMsMax);
          scheduleReopen();
        },
      );
    }, reopenDelayMs);
    reopenTimer.unref();
  };

  let presenceTimer: NodeJS.Timeout | undefined;

  /** The port went away under us: let go of it and try to reopen. */
  const lost = (opened: SerialPort, why: string): void => {
    if (port !== opened) return; // already handled, or closed by us
    clearInterval(presenceTimer);
    presenceTimer = undefined;
    detach?.();
    detach = undefined;
    port = undefined;
    void closePort(opened);
    options.onProblem?.(`${options.path}: port closed (${why}); reopening`);
    scheduleReopen();
  };

  const open = async (): Promise<void> => {
    const opened = await openPort(options.path, options.baudRate);
    if (!wanted) {
      await closePort(opened);
      return;
    }
    port = opened;
    detach = attachEmulator(opened, options);
    opened.once("close", () => lost(opened, "closed by the system"));
    // A device that only listens may never see an error when its line vanishes (a pty's reads do not
    // report the hang-up): the device node going away (USB adapter pulled, socat gone) says it.
    presenceTimer = setInterval(() => {
      if (!existsSync(options.path)) lost(opened, "device node gone");
    }, serialPresenceCheckIntervalMs);
    presenceTimer.unref();
  };

  const release = async (): Promise<void> => {
    wanted = false;
    clearTimeout(reopenTimer);
    reopenTimer = undefined;
    clearInterval(presenceTimer);
    presenceTimer = undefined;
    const closing = port;
    port = undefined;
    detach?.();
    detach = undefined;
    if (closing !== undefined) await closePort(closing);
  };

  await open();
  return {
    path: options.path,
    get isOpen() {
      return port?.isOpen ?? false;
    },
    stop: release,
    unplug: release,
    async replug() {
      if (wanted) return;
      wanted = true;
      await open();
    },
  };
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
