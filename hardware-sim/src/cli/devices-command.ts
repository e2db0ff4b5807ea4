/**
 * `codepay-sim devices [--transport pty|tcp] [--dir /tmp/codepay-sim] [--control-port 7080] [--baud-pacing]
 *   [--gateway URL --credential C | --demo ./data/demo.json]` (the dashboard's phone panel)
 * `codepay-sim devices --transport serial --display PORT [--printer PORT] [--card-reader PORT]
 *   [--display-baud 9600] [--printer-baud 19200] [--card-reader-baud 9600]`: the emulators on real
 *   serial ports (null-modem cables to a real register); at least one port.
 * Starts the devices and the control API, prints the ready line, then shows events: a live
 * dashboard on a TTY, JSON lines otherwise. SIGINT/SIGTERM stop everything (socat included).
 */
import { parseArgs } from "node:util";
import { startDevices, DEFAULT_PTY_DIRECTORY, type SerialPortSetting, type SimDevices } from "../binding/start-devices.js";
import { DEVICE_FILE_NAMES, DEVICE_KEYS, type DeviceKey } from "../devices/device-emulator.js";
import { startControlApi } from "../control-api.js";
import { DISPLAY_MODELS, type DisplayModel } from "../devices/pole-display-emulator.js";
import { TerminalDashboard } from "../dashboard/terminal-dashboard.js";
import { defaultDemoPath, phoneSource } from "../dashboard-web/phone-source.js";
import type { Receipt } from "../protocols/escpos/receipt-builder.js";

const DISPLAY_EVENT_COALESCE_MS = 50;

export async function devicesCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      transport: { type: "string", default: "pty" },
      dir: { type: "string", default: DEFAULT_PTY_DIRECTORY },
      "control-port": { type: "string", default: "7080" },
      "baud-pacing": { type: "boolean", default: false },
      "display-model": { type: "string", default: "epson" },
      gateway: { type: "string" },
      credential: { type: "string" },
      demo: { type: "string", default: defaultDemoPath() },
      display: { type: "string" },
      printer: { type: "string" },
      "card-reader": { type: "string" },
      "display-baud": { type: "string" },
      "printer-baud": { type: "string" },
      "card-reader-baud": { type: "string" },
    },
    strict: true,
  });
  const transport = values.transport;
  if (transport !== "pty" && transport !== "tcp" && transport !== "serial") {
    process.stderr.write(`--transport must be pty, tcp or serial, not ${transport}\n`);
    return 2;
  }
  const serialPorts = parseSerialPorts(values as Record<string, string | boolean | undefined>, transport === "serial");
  if (typeof serialPorts === "string") {
    process.stderr.write(`${serialPorts}\n`);
    return 2;
  }
  const controlPort = Number(values["control-port"]);
  if (!Number.isInteger(controlPort) || controlPort < 0 || controlPort > 65535) {
    process.stderr.write(`--control-port must be a port number\n`);
    return 2;
  }
  const displayModel = values["display-model"];
  if (!(DISPLAY_MODELS as readonly string[]).includes(displayModel)) {
    process.stderr.write(`--display-model must be one of ${DISPLAY_MODELS.join(", ")}\n`);
    return 2;
  }
  const devices = await startDevices({
    transport, directory: values.dir, baudPacing: values["baud-pacing"], displayModel: displayModel as DisplayModel, serialPorts,
    onSerialProblem: (message) => process.stderr.write(`${message}\n`),
  });
  const phone = phoneSource({ gateway: values.gateway, credential: values.credential, demoPath: values.demo });
  const control = await startControlApi({ devices, port: controlPort, phone }).catch(async (error: unknown) => {
    await devices.stop();
    throw error;
  });
  const attached = Object.fromEntries(Object.entries(devices.paths).filter(([, path]) => path !== ""));
  process.stdout.write(`${JSON.stringify({ event: "ready", control: control.url, devices: attached })}\n`);
  const stopReporting = process.stdout.isTTY ? showDashboard(devices) : printJsonEvents(devices);
  await waitForStopSignal();
  stopReporting();
  await control.close();
  await devices.stop();
  return 0;
}

/** --display/--printer/--card-reader PORT and their -baud: the serial transport's ports, or an error message. */
function parseSerialPorts(values: Record<string, string | boolean | undefined>, serial: boolean): Partial<Record<DeviceKey, SerialPortSetting>> | string {
  const ports: Partial<Record<DeviceKey, SerialPortSetting>> = {};
  for (const key of DEVICE_KEYS) {
    const flag = DEVICE_FILE_NAMES[key];
    const path = values[flag];
    const baud = values[`${flag}-baud`];
    if (!serial) {
      if (path !== undefined || baud !== undefined) return `--${flag} and --${flag}-baud go with --transport serial`;
      continue;
    }
    if (typeof baud === "string" && (!/^\d+$/.test(baud) || Number(baud) < 50 || Number(baud) > 4_000_000)) return `--${flag}-baud must be a baud rate (e.g. 9600), not ${baud}`;
    if (typeof path !== "string") {
      if (baud !== undefined) return `--${flag}-baud needs --${flag} PORT`;
      continue;
    }
    if (!path.startsWith("/") && !/^COM\d+$/i.test(path)) return `--${flag} must be a serial port path (/dev/serial/by-id/...), not ${path}`;
    ports[key] = { path, baudRate: typeof baud === "string" ? Number(baud) : undefined };
  }
  if (serial && Object.keys(ports).length === 0) return "--transport serial needs at least one of --display, --printer, --card-reader PORT";
  return ports;
}

function waitForStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function showDashboard(devices: SimDevices): () => void {
  let lastReceipt: Receipt | undefined;
  let status = "waiting for the agent…";
  const dashboard = new TerminalDashboard((text) => process.stdout.write(text), () => ({
    display: devices.display.snapshot(), lastReceipt, receipts: devices.printer.snapshot().receipts.length, status,
  }));
  devices.display.on("changed", () => dashboard.requestRedraw());
  devices.printer.on("receipt", (receipt) => {
    lastReceipt = receipt;
    dashboard.requestRedraw();
  });
  devices.printer.on("drawerKick", () => {
    status = "drawer kicked";
    dashboard.requestRedraw();
  });
  devices.cardReader.on("swipe", (swipe) => {
    status = `card swiped: ${swipe.card} ${swipe.maskedPan ?? ""}`;
    dashboard.requestRedraw();
  });
  dashboard.draw();
  return () => dashboard.stop();
}

function printJsonEvents(devices: SimDevices): () => void {
  const print = (event: object): void => {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  };
  let displayTimer: NodeJS.Timeout | undefined;
  devices.display.on("changed", () => {
    displayTimer ??= setTimeout(() => {
      displayTimer = undefined;
      print({ event: "display", lines: devices.display.snapshot().lines });
    }, DISPLAY_EVENT_COALESCE_MS);
  });
  devices.printer.on("receipt", (receipt) => print({ event: "receipt", ...receipt }));
  devices.printer.on("drawerKick", () => print({ event: "drawer-kick" }));
  devices.printer.on("malformedDrawerKick", (bytes) => print({ event: "malformed-drawer-kick", hex: bytes.toString("hex") }));
  devices.cardReader.on("swipe", (swipe) => print({ event: "swipe", ...swipe }));
  return () => {
    if (displayTimer !== undefined) clearTimeout(displayTimer);
  };
}
