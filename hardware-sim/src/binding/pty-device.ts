/**
 * Serves one emulator on a pseudo-terminal pair made by socat:
 *   socat -d -d pty,raw,echo=0,link=DIR/<name>-device pty,raw,echo=0,link=DIR/<name>-host
 * The emulator opens `<name>-device` with the real SerialPort; the agent opens `<name>-host`.
 */
import { join } from "node:path";
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { attachEmulator, closePort, openPort } from "./serial-device.js";
import { startSocatPair, type SocatPair } from "./socat-pair.js";

export interface PtyDeviceOptions {
  readonly emulator: DeviceEmulator;
  readonly directory: string;
  readonly name: string;
  readonly baudRate: number;
  readonly baudPacing: boolean;
}

export interface PtyDevice {
  /** The path the agent opens. */
  readonly hostPath: string;
  readonly devicePath: string;
  readonly socatPid: number | undefined;
  stop(): Promise<void>;
  /** Pulls the cable: socat exits and the host end's reads fail, as an unplugged USB adapter's do. */
  unplug(): Promise<void>;
  /** Plugs it back in: a new socat pair on the same link paths (stable paths, like /dev/serial/by-id). */
  replug(): Promise<void>;
}

export async function startPtyDevice(options: PtyDeviceOptions): Promise<PtyDevice> {
  const devicePath = join(options.directory, `${options.name}-device`);
  const hostPath = join(options.directory, `${options.name}-host`);
  let current: Plugged | undefined = await plugIn(options, devicePath, hostPath);
  return {
    hostPath, devicePath,
    get socatPid() {
      return current?.socat.pid;
    },
    async stop() {
      const plugged = current;
      current = undefined;
      await plugged?.unplug();
    },
    async unplug() {
      const plugged = current;
      current = undefined;
      await plugged?.unplug();
    },
    async replug() {
      if (current === undefined) current = await plugIn(options, devicePath, hostPath);
    },
  };
}

interface Plugged {
  readonly socat: SocatPair;
  unplug(): Promise<void>;
}

/** One socat pair with the emulator on its device end; unplug() kills socat, so the host end's reads fail (EIO). */
async function plugIn(options: PtyDeviceOptions, devicePath: string, hostPath: string): Promise<Plugged> {
  const socat = await startSocatPair(devicePath, hostPath);
  try {
    const port = await openPort(devicePath, options.baudRate);
    const detach = attachEmulator(port, options);
    return {
      socat,
      async unplug() {
        detach();
        await closePort(port);
        await socat.stop();
      },
    };
  } catch (error) {
    await socat.stop();
    throw error;
  }
}
