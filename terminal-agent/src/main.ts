/**
 * The composition root: config in, subsystems wired, start/stop. Nothing else builds subsystems.
 *   journal -> devices -> payment runtime -> MQTT link -> cashier API
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { AgentConfig } from "./config.js";
import { systemClock } from "./clock.js";
import type { Clock } from "./clock.js";
import { displayRefreshIntervalMs, outboxRetryIntervalMs } from "./core/limits.js";
import { renderScreen } from "./core/screens.js";
import { deviceFaults, deviceHealth, paymentStartWarnings } from "./core/device-faults.js";
import type { DeviceFault, DeviceStates } from "./core/device-faults.js";
import { CashierApi } from "./cashier-api/server.js";
import type { HealthView } from "./cashier-api/server.js";
import { SerialCardReader } from "./devices/card-reader.js";
import type { Device } from "./devices/device.js";
import { SerialPoleDisplay } from "./devices/pole-display.js";
import type { PrintQueueStore } from "./devices/print-queue.js";
import { EscPosReceiptPrinter } from "./devices/receipt-printer.js";
import { buildReceipt } from "./protocols/escpos/receipt.js";
import type { SerialBinding } from "./devices/serial-connection.js";
import { openTransport } from "./devices/transport.js";
import { Journal } from "./journal/journal.js";
import { MqttLink } from "./link/mqtt-link.js";
import { createLogger } from "./logger.js";
import { PaymentRuntime, REPORT_JOB_PREFIX } from "./shell/payment-runtime.js";
import { startSystemdWatchdog } from "@codepay/systemd-watchdog";

/** The agent's version (its package.json), reported with its presence (fleet health). */
const AGENT_VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** `devices.printer` in /v1/health while the printer reports a fault (its line is up). */
const PRINTER_FAULT_STATUS: Partial<Record<DeviceFault["code"], string>> = { PRINTER_PAPER_END: "paper-end", PRINTER_COVER_OPEN: "cover-open", PRINTER_OFFLINE: "printer-offline" };

export interface AgentDeps {
  /** serialport binding for `/dev/...` devices: the real one by default, `SerialPortMock.binding` or the simulator's in tests. */
  readonly binding?: SerialBinding;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface RunningAgent {
  /** Base url of the cashier API, e.g. http://127.0.0.1:7070. */
  readonly cashierApiUrl: string;
  /** Stops accepting, says offline on the line, closes ports and the journal. Idempotent. */
  stop(): Promise<void>;
}

/** Builds a driver for each configured device; unconfigured ones are undefined. Nothing is opened yet. */
export function createDevices(config: AgentConfig, binding: SerialBinding | undefined, logger: Logger, printQueue: PrintQueueStore) {
  const deviceLogger = (device: string): Logger => logger.child({ device });
  const transportFor = (device: string, settings: { path: string; baudRate: number }) =>
    openTransport({ path: settings.path, baudRate: settings.baudRate, binding, logger: deviceLogger(device) });
  const { display, printer, cardReader } = config.devices;
  return {
    display:
      display &&
      new SerialPoleDisplay(transportFor("display", display), deviceLogger("display"), {
        model: display.model,
        brightness: display.brightness,
        charset: config.language === "ja" ? "katakana" : "ascii",
        geometry: { columns: display.columns, rows: display.rows },
        euroByte: display.euroByte,
      }),
    printer: printer && new EscPosReceiptPrinter(transportFor("printer", printer), { drawer: printer.drawer, statusBack: printer.statusBack, queue: printQueue, encode: (receipt) => buildReceipt(receipt, { japanese: printer.japanese }) }, deviceLogger("printer")),
    cardReader:
      cardReader &&
      new SerialCardReader(transportFor("cardReader", cardReader), deviceLogger("cardReader"), {
        framing: { prefix: cardReader.prefix, suffix: cardReader.suffix, lrc: cardReader.lrc },
        terminator: cardReader.terminator,
        interByteTimeoutMs: cardReader.interByteTimeoutMs,
        greetByName: config.receipt.greetByName,
        cardKey: config.cardKey === undefined ? undefined : Buffer.from(config.cardKey, "hex"),
      }),
  };
}

/** The PEM files of `server.tls`, read when the url is mqtts:// (loadConfig checked they exist). */
function linkTls(config: AgentConfig): { tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer } } {
  const files = config.server.tls;
  if (files === undefined || !/^(mqtts|wss):\/\//.test(config.server.url)) return {};
  return {
    tls: {
      ...(files.ca !== undefined ? { ca: readFileSync(files.ca) } : {}),
      ...(files.cert !== undefined ? { cert: readFileSync(files.cert) } : {}),
      ...(files.key !== undefined ? { key: readFileSync(files.key) } : {}),
    },
  };
}

export async function startAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<RunningAgent> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger();
  const journal = Journal.open(config.journalPath);
  const printQueue = journal.printQueue();

  const { display, printer, cardReader } = createDevices(config, deps.binding, logger, printQueue);
  const devices: Record<string, Device | undefined> = { display, printer, cardReader };

  let runtime: PaymentRuntime | undefined;
  const link = new MqttLink(
    { url: config.server.url, ...(config.server.failoverUrls !== undefined ? { failoverUrls: config.server.failoverUrls } : {}), storeId: config.register.storeId, registerId: config.register.registerId, password: config.register.password, authentication: config.server.authentication, ...linkTls(config), logger: logger.child({ part: "link" }), now: () => clock.now(), agentVersion: AGENT_VERSION },
    (message) => runtime?.handleServerMessage(message),
  );
  const deviceStates = (): DeviceStates => ({
    printer: printer && { line: printer.status, ...printer.printerStatus },
    cardReader: cardReader && { line: cardReader.status },
    display: display && { line: display.status },
  });
  const faults = (): DeviceFault[] => deviceFaults(deviceStates());
  const refreshDisplay = (): void => {
    if (!display) return;
    const now = faults();
    const devicesMissing = { printer: now.some((each) => each.device === "printer"), cardReader: now.some((each) => each.device === "cardReader") };
    display.show(renderScreen({ storeName: config.storeName, linkUp: link.isUp, payment: runtime?.currentPayment, language: config.language, columns: display.geometry.columns, devicesMissing }, clock.now()));
  };
  runtime = new PaymentRuntime({ journal, link, clock, logger: logger.child({ part: "payments" }), printer, storeName: config.storeName, registerId: config.register.registerId, registerName: config.registerName, language: config.language, onScreenChange: refreshDisplay });
  const payments = runtime;
  payments.cancelUnissuedCodePayments(); // issue 17, item 2: a create the cashier may have seen fail never becomes payable
  // A receipt queued before a restart completes later: the journal learns it here too.
  printer?.on("outputComplete", ({ outputId }) => {
    if (outputId.startsWith(REPORT_JOB_PREFIX)) journal.markReportPrinted(outputId.slice(REPORT_JOB_PREFIX.length));
    else payments.dispatch(outputId, { type: "ReceiptPrinted" });
  });
  // Card tender: a swipe pays the payment awaiting a card; a bad one is shown and the payment keeps waiting.
  cardReader?.on("data", (read) => payments.handleCardRead(read));
  cardReader?.on("error", ({ code }) => payments.handleCardError(code));

  let firstUp = true;
  link.on("up", () => {
    payments.resendUnanswered(true);
    if (firstUp) payments.askStatusOfInFlightPayments();
    firstUp = false;
    refreshDisplay();
  });
  link.on("down", refreshDisplay);

  for (const device of Object.values(devices)) device?.start();
  payments.printMissingReceipts();
  refreshDisplay();
  link.start();
  const timers = [setInterval(refreshDisplay, displayRefreshIntervalMs), setInterval(() => payments.resendUnanswered(), outboxRetryIntervalMs)];

  const health = (): HealthView => {
    const now = faults();
    const printerFault = now.find((each) => each.device === "printer" && each.code !== "DEVICE_OFFLINE");
    return {
      mqtt: link.isUp ? "up" : "down",
      devices: Object.fromEntries(
        Object.entries(devices).map(([name, device]) => [name, (name === "printer" && printerFault ? PRINTER_FAULT_STATUS[printerFault.code] : undefined) ?? device?.status ?? "absent"]),
      ),
      faults: now,
      outboxDepth: journal.outboxDepth(),
    };
  };
  // Faults reach the cashier at once (the panel's event stream), not at its next health poll.
  const healthChanges = new EventEmitter<{ change: [] }>();
  const changed = (): void => {
    link.setDevices(deviceHealth(deviceStates())); // fleet health: the server hears of it on the status topic
    healthChanges.emit("change");
  };
  link.setDevices(deviceHealth(deviceStates()));
  display?.on("status", changed);
  printer?.on("status", changed);
  cardReader?.on("status", changed);
  const api = new CashierApi({
    runtime: payments,
    currency: config.currency,
    health,
    onHealthChange: (listener) => {
      healthChanges.on("change", listener);
      return () => healthChanges.off("change", listener);
    },
    paymentWarnings: (tender) => paymentStartWarnings(faults(), tender),
    logger: logger.child({ part: "cashier-api" }),
  });
  let cashierApiUrl: string;
  try {
    cashierApiUrl = await api.listen(config.cashierApi.host, config.cashierApi.port);
  } catch (error) {
    timers.forEach(clearInterval);
    await link.stop();
    await Promise.all(Object.values(devices).map((device) => device?.stop()));
    journal.close();
    throw error;
  }
  // systemd WatchdogSec: pings while the event loop turns; a line to the server that is down is not a reason to restart.
  const watchdog = startSystemdWatchdog(() => true);
  logger.info({ cashierApi: cashierApiUrl, registerId: config.register.registerId, server: config.server.url }, "agent started");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      timers.forEach(clearInterval);
      watchdog.stop();
      await api.close();
      await link.stop();
      await Promise.all(Object.values(devices).map((device) => device?.stop()));
      journal.close();
      logger.info("agent stopped");
    })());
  return { cashierApiUrl, stop };
}
