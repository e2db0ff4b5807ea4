/**
 * Starts the three simulated devices on one transport and returns where the agent finds them:
 *   in-process: a SimBinding, paths /sim/display, /sim/printer, /sim/card-reader
 *   pty:        socat pairs, paths DIR/<device>-host
 *   tcp:        loopback sockets, paths tcp://127.0.0.1:PORT
 *   serial:     real serial ports given per device (null-modem to a real register); a device
 *               without a port is not attached and its path is ""
 */
import { mkdir } from "node:fs/promises";
import { CardReaderEmulator } from "../devices/card-reader-emulator.js";
import { DEVICE_BAUD_RATES, DEVICE_FILE_NAMES, DEVICE_KEYS, type DeviceEmulator, type DeviceKey } from "../devices/device-emulator.js";
import { PoleDisplayEmulator, type DisplayModel } from "../devices/pole-display-emulator.js";
import { ReceiptPrinterEmulator } from "../devices/receipt-printer-emulator.js";
import { startPtyDevice } from "./pty-device.js";
import { createSimBinding, type SimBinding } from "./sim-binding.js";
import { startSerialDevice } from "./serial-device.js";
import { startTcpDevice } from "./tcp-device.js";

export type Transport = "in-process" | "pty" | "tcp" | "serial";

/** serial: the port a device's emulator opens, and its line speed (the device's usual rate by default). */
export interface SerialPortSetting {
  readonly path: string;
  readonly baudRate?: number | undefined;
}

export const SIM_PORT_PATH_PREFIX = "/sim/";
export const DEFAULT_PTY_DIRECTORY = "/tmp/codepay-sim";

export interface StartDevicesOptions {
  readonly transport: Transport;
  /** pty: where the links go (created if missing). */
  readonly directory?: string;
  /** Pace bytes to each device's baud rate. */
  readonly baudPacing?: boolean;
  /** Which command set the simulated display speaks (default epson). */
  readonly displayModel?: DisplayModel;
  /** tcp: fixed ports per device; 0 or missing picks a free one. */
  readonly tcpPorts?: Partial<Record<DeviceKey, number>>;
  /** serial: the real port of each device to simulate (at least one). */
  readonly serialPorts?: Partial<Record<DeviceKey, SerialPortSetting>>;
  /** serial: told when a port closes unexpectedly or cannot be reopened (it keeps trying). */
  readonly onSerialProblem?: (message: string) => void;
}

export type DevicePaths = Readonly<Record<DeviceKey, string>>;

export interface SimDevices {
  readonly transport: Transport;
  readonly paths: DevicePaths;
  readonly display: PoleDisplayEmulator;
  readonly printer: ReceiptPrinterEmulator;
  readonly cardReader: CardReaderEmulator;
  /** Only for the in-process transport: pass it as `binding` to SerialPort. */
  readonly binding: SimBinding | undefined;
  stop(): Promise<void>;
  /** Pulls a device's cable (pty: socat exits; tcp: sockets dropped; in-process: reads fail with ENXIO). */
  unplug(key: DeviceKey): Promise<void>;
  /** Plugs it back in on the same path. */
  replug(key: DeviceKey): Promise<void>;
}

interface Started {
  readonly path: string;
  stop(): Promise<void>;
  unplug(): Promise<void>;
  replug(): Promise<void>;
}

export async function startDevices(options: StartDevicesOptions): Promise<SimDevices> {
  const emulators = {
    display: new PoleDisplayEmulator(options.displayModel ?? "epson"),
    printer: new ReceiptPrinterEmulator(),
    cardReader: new CardReaderEmulator(),
  } satisfies Record<DeviceKey, DeviceEmulator>;
  const baudPacing = options.baudPacing === true;
  if (options.transport === "in-process") {
    const paths = mapDevices((key) => `${SIM_PORT_PATH_PREFIX}${DEVICE_FILE_NAMES[key]}`);
    const binding = createSimBinding(
      Object.fromEntries(DEVICE_KEYS.map((key) => [paths[key], emulators[key]])),
      { baudPacing },
    );
    return {
      transport: "in-process", paths, ...emulators, binding, stop: async () => {},
      unplug: async (key) => binding.unplug(paths[key]),
      replug: async (key) => binding.replug(paths[key]),
    };
  }
  const started: Partial<Record<DeviceKey, Started>> = {};
  const stopAll = async (): Promise<void> => {
    await Promise.all(Object.values(started).map((device) => device.stop()));
  };
  const keys = options.transport === "serial" ? DEVICE_KEYS.filter((key) => options.serialPorts?.[key] !== undefined) : DEVICE_KEYS;
  if (keys.length === 0) throw new Error("the serial transport needs at least one device port");
  try {
    if (options.transport === "pty") await mkdir(options.directory ?? DEFAULT_PTY_DIRECTORY, { recursive: true });
    for (const key of keys) started[key] = await startOne(key, emulators[key], options, baudPacing);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const paths = mapDevices((key) => started[key]?.path ?? "");
  return {
    transport: options.transport, paths, ...emulators, binding: undefined, stop: stopAll,
    unplug: async (key) => started[key]?.unplug(),
    replug: async (key) => started[key]?.replug(),
  };
}

async function startOne(key: DeviceKey, emulator: DeviceEmulator, options: StartDevicesOptions, baudPacing: boolean): Promise<Started> {
  const serialPort = options.serialPorts?.[key];
  const baudRate = serialPort?.baudRate ?? DEVICE_BAUD_RATES[key];
  if (options.transport === "serial" && serialPort !== undefined) {
    const device = await startSerialDevice({ emulator, path: serialPort.path, baudRate, baudPacing, onProblem: options.onSerialProblem });
    return { path: device.path, stop: () => device.stop(), unplug: () => device.unplug(), replug: () => device.replug() };
  }
  if (options.transport === "pty") {
    const device = await startPtyDevice({
      emulator, directory: options.directory ?? DEFAULT_PTY_DIRECTORY, name: DEVICE_FILE_NAMES[key], baudRate, baudPacing,
    });
    return { path: device.hostPath, stop: () => device.stop(), unplug: () => device.unplug(), replug: () => device.replug() };
  }
  const device = await startTcpDevice({ emulator, port: options.tcpPorts?.[key] ?? 0, baudRate, baudPacing });
  return { path: device.url, stop: () => device.stop(), unplug: () => device.unplug(), replug: () => device.replug() };
}

function mapDevices(pathOf: (key: DeviceKey) => string): DevicePaths {
  return { display: pathOf("display"), printer: pathOf("printer"), cardReader: pathOf("cardReader") };
}
