/**
 * Serves one emulator on a pseudo-terminal pair made by socat:
 *   socat -d -d pty,raw,echo=0,link=DIR/<name>-device pty,raw,echo=0,link=DIR/<name>-host
 * The emulator opens `<name>-device` with the real SerialPort; the agent opens `<name>-host`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { socatStartTimeoutMs, socatStopTimeoutMs } from "../limits.js";
import { findTool } from "../system-tools.js";
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { BytePacer } from "./byte-pacer.js";

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
  readonly socat: ChildProcess;
  unplug(): Promise<void>;
}

/** One socat pair with the emulator on its device end; unplug() kills socat, so the host end's reads fail (EIO). */
async function plugIn(options: PtyDeviceOptions, devicePath: string, hostPath: string): Promise<Plugged> {
  const socatPath = findTool("socat");
  if (socatPath === undefined) throw new Error("socat not installed; install with scripts/install-system-packages.sh");
  // A link left by a socat that was killed hard would look like a ready device.
  for (const path of [devicePath, hostPath]) rmSync(path, { force: true });
  const socat = spawn(socatPath, ["-d", "-d", `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  socat.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString("utf8");
  });
  try {
    await waitForLinks(socat, [devicePath, hostPath], () => stderr);
    const port = new SerialPort({ path: devicePath, baudRate: options.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const detach = attachEmulator(port, options);
    return {
      socat,
      async unplug() {
        detach();
        await closePort(port);
        await stopProcess(socat);
      },
    };
  } catch (error) {
    await stopProcess(socat);
    throw error;
  }
}

function attachEmulator(port: SerialPort, options: PtyDeviceOptions): () => void {
  const baudRate = options.baudPacing ? options.baudRate : undefined;
  const toDevice = new BytePacer((bytes) => options.emulator.receive(bytes), baudRate);
  const toHost = new BytePacer((bytes) => port.write(bytes), baudRate);
  const onData = (bytes: Buffer): void => toDevice.send(bytes);
  const onError = (): void => {
    // A pty write error means the host side went away; the emulator keeps its state.
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

async function waitForLinks(socat: ChildProcess, paths: readonly string[], stderr: () => string): Promise<void> {
  const deadline = Date.now() + socatStartTimeoutMs;
  while (!paths.every((path) => existsSync(path))) {
    if (socat.exitCode !== null || socat.signalCode !== null) throw new Error(`socat exited early: ${stderr().trim()}`);
    if (Date.now() > deadline) throw new Error(`socat did not create ${paths.join(", ")} within ${socatStartTimeoutMs} ms`);
    await delay(10);
  }
}

function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}

/** SIGTERM, then SIGKILL after socatStopTimeoutMs; resolves once the process has exited. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), socatStopTimeoutMs);
  await exited;
  clearTimeout(timer);
}
