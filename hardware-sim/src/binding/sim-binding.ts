/**
 * serialport's BindingInterface over device emulators, so
 *   new SerialPort({ path: "/sim/display", baudRate: 9600, binding })
 * talks to the simulated display exactly as it would to a tty: the agent cannot tell the difference.
 */
import type { BindingInterface, OpenOptions, PortInfo } from "./serialport-binding-types.js";
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { SimPort } from "./sim-port.js";

export interface SimBindingOptions {
  /** Pace both directions to each port's baud rate (8N1). */
  readonly baudPacing?: boolean;
}

export type SimBinding = BindingInterface<SimPort, OpenOptions, PortInfo> & {
  /** Pulls the cable: the open port fails its pending read (serialport closes with `disconnected`), opens fail until replug. */
  unplug(path: string): void;
  replug(path: string): void;
};

/** `devices` maps a port path (e.g. "/sim/display") to the emulator at its far end. */
export function createSimBinding(devices: Readonly<Record<string, DeviceEmulator>>, options: SimBindingOptions = {}): SimBinding {
  const openPorts = new Map<string, SimPort>();
  const unplugged = new Set<string>();
  return {
    unplug(path: string): void {
      unplugged.add(path);
      openPorts.get(path)?.disconnect();
    },
    replug(path: string): void {
      unplugged.delete(path);
    },
    async list(): Promise<PortInfo[]> {
      return Object.keys(devices).map((path) => ({
        path, manufacturer: "Code Pay simulator", serialNumber: undefined, pnpId: undefined,
        locationId: undefined, productId: undefined, vendorId: undefined,
      }));
    },
    async open(openOptions: OpenOptions): Promise<SimPort> {
      const emulator = devices[openOptions.path];
      if (emulator === undefined || unplugged.has(openOptions.path)) throw new Error(`Error: No such file or directory, cannot open ${openOptions.path}`);
      const lock = openOptions.lock ?? true;
      if (lock && openPorts.has(openOptions.path)) throw new Error(`Error Resource temporarily unavailable Cannot lock port`);
      const port = new SimPort(openOptions, emulator, options.baudPacing === true, () => {
        if (openPorts.get(openOptions.path) === port) openPorts.delete(openOptions.path);
      });
      openPorts.set(openOptions.path, port);
      return port;
    },
  };
}
