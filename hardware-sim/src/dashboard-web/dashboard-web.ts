/**
 * The technician dashboard, on the control API's listener:
 *   GET  /                         the page (public/dashboard/), GET /assets/* its script and style
 *   GET  /api/events               server-sent events: `event: state` with the whole DashboardState on every change
 *   GET  /api/dashboard            the same state as JSON
 *   POST /api/phone/pay            the simulated phone pays the code on the display (claim + approve via the gateway)
 *   POST /api/drawer/close         a person pushes the cash drawer shut
 *   POST /api/devices/:device/unplug | /replug   pulls or plugs a device's cable
 * The other controls (swipe, printer faults) use the control API's own routes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimDevices } from "../binding/start-devices.js";
import { DEVICE_KEYS, type DeviceKey } from "../devices/device-emulator.js";
import { SimPhone } from "../phone/sim-phone.js";
import type { SwipeSummary } from "../devices/card-reader-emulator.js";
import type { PrinterFaults } from "../protocols/escpos/printer-status.js";
import type { Receipt } from "../protocols/escpos/receipt-builder.js";
import { codeOnDisplay } from "../scenarios/cashier-and-sim-shapes.js";
import { dashboardState, logEntriesShownMax, QrCache, type DashboardState } from "./dashboard-state.js";
import { displayTextForLog, EventLog } from "./event-log.js";
import { isDashboardFile, sendDashboardFile } from "./static-files.js";

/** The phone the phone panel uses: from flags, or data/demo.json read when the panel is used. */
export interface PhoneIdentity {
  readonly gatewayUrl: string;
  readonly subscriberCredential: string;
}
export type PhoneSource = () => Promise<PhoneIdentity | undefined>;

export interface DashboardWebOptions {
  readonly devices: SimDevices;
  readonly phone?: PhoneSource;
}

/** Changes within this window go out as one state event (the display redraws in several writes). */
export const stateCoalesceMs = 50;
export const dashboardStreamsMax = 16;
export const dashboardHeartbeatMs = 15_000;

type Reply = { readonly status: number; readonly body: unknown };
const failure = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } });

export class DashboardWeb {
  readonly #devices: SimDevices;
  readonly #phone: PhoneSource;
  readonly #log = new EventLog();
  readonly #qrCache = new QrCache();
  readonly #streams = new Set<ServerResponse>();
  readonly #detach: (() => void)[] = [];
  #drawerOpen = false;
  #plugged: Record<DeviceKey, boolean> = { display: true, printer: true, cardReader: true };
  #phoneView: DashboardState["phone"] = { available: false };
  #pushTimer: NodeJS.Timeout | undefined;
  #lastDisplayText = "";

  constructor(options: DashboardWebOptions) {
    this.#devices = options.devices;
    this.#phone = options.phone ?? (async () => undefined);
    this.#watchDevices();
  }

  /** Answers the dashboard's routes; false when the request is not one of them. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const method = request.method ?? "GET";
    if (method === "GET" && isDashboardFile(path)) {
      await sendDashboardFile(path, response);
      return true;
    }
    if (method === "GET" && path === "/api/events") {
      await this.#openStream(request, response);
      return true;
    }
    const reply = await this.#route(method, path);
    if (reply === undefined) return false;
    request.resume(); // these routes take no body
    response.writeHead(reply.status, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(JSON.stringify(reply.body));
    return true;
  }

  state(): DashboardState {
    const local = { drawerOpen: this.#drawerOpen, plugged: { ...this.#plugged }, phone: this.#phoneView, log: this.#log.latest(logEntriesShownMax) };
    return dashboardState(this.#devices, local, this.#qrCache);
  }

  close(): void {
    if (this.#pushTimer !== undefined) clearTimeout(this.#pushTimer);
    for (const detach of this.#detach.splice(0)) detach();
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }

  async #route(method: string, path: string): Promise<Reply | undefined> {
    if (method === "GET" && path === "/api/dashboard") {
      await this.#refreshPhone();
      return { status: 200, body: this.state() };
    }
    if (method === "POST" && path === "/api/phone/pay") return this.#payCodeOnDisplay();
    if (method === "POST" && path === "/api/drawer/close") {
      if (this.#drawerOpen) this.#log.add("drawer", "drawer pushed shut");
      this.#drawerOpen = false;
      this.#changed();
      return { status: 200, body: { drawer: { open: false } } };
    }
    const cable = /^\/api\/devices\/([A-Za-z]+)\/(unplug|replug)$/.exec(path);
    if (method === "POST" && cable !== null) return this.#cable(cable[1]!, cable[2] as "unplug" | "replug");
    return undefined;
  }

  async #cable(device: string, action: "unplug" | "replug"): Promise<Reply> {
    const key = DEVICE_KEYS.find((candidate) => candidate === device);
    if (key === undefined) return failure(404, "NOT_FOUND", `no device ${device}; devices: ${DEVICE_KEYS.join(", ")}`);
    await (action === "unplug" ? this.#devices.unplug(key) : this.#devices.replug(key));
    this.#plugged = { ...this.#plugged, [key]: action === "replug" };
    this.#log.add("devices", `${key} ${action === "unplug" ? "unplugged" : "plugged back in"}`, action === "unplug" ? "warn" : "info");
    this.#changed();
    return { status: 200, body: { device: key, plugged: action === "replug" } };
  }

  async #payCodeOnDisplay(): Promise<Reply> {
    const identity = await this.#refreshPhone();
    if (identity === undefined) {
      return failure(409, "PHONE_NOT_CONFIGURED", "start the simulator with --gateway and --credential, or with data/demo.json present");
    }
    const code = codeOnDisplay(this.#devices.display.snapshot().lines[1]);
    if (code === undefined) {
      this.#log.add("phone", "no code on the display to pay", "warn");
      this.#changed();
      return failure(409, "NO_CODE_ON_DISPLAY", "the pole display shows no code");
    }
    const phone = new SimPhone(identity);
    const claim = await phone.claim(code);
    if (!claim.ok) return this.#phoneFailed(`claim of ${code}`, claim);
    this.#log.add("phone", `code ${code} claimed: ${claim.value.storeName}, ${claim.value.amount.currency} ${claim.value.amount.minor}`);
    const approval = await phone.approve(claim.value.paymentId);
    if (!approval.ok) return this.#phoneFailed(`approval of ${claim.value.paymentId}`, approval);
    this.#log.add("phone", `approved ${approval.value.paymentId} (ref ${approval.value.reference})`);
    this.#changed();
    return { status: 200, body: { code, ...approval.value } };
  }

  #phoneFailed(what: string, result: { status: number; code: string; message: string }): Reply {
    this.#log.add("phone", `${what} refused: ${result.code}`, "warn");
    this.#changed();
    return failure(result.status === 0 ? 502 : result.status, result.code, result.message);
  }

  async #refreshPhone(): Promise<PhoneIdentity | undefined> {
    const identity = await this.#phone().catch(() => undefined);
    this.#phoneView = identity === undefined
      ? { available: false }
      : { available: true, shopperPageUrl: `${identity.gatewayUrl.replace(/\/+$/, "")}/pay#phone=${identity.subscriberCredential}` };
    return identity;
  }

  async #openStream(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.#streams.size >= dashboardStreamsMax) {
      response.writeHead(503, { "content-type": "application/json" });
      response.end(JSON.stringify(failure(503, "TOO_MANY_STREAMS", `at most ${dashboardStreamsMax} dashboards`).body));
      return;
    }
    await this.#refreshPhone();
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    response.write(`event: state\ndata: ${JSON.stringify(this.state())}\n\n`);
    const heartbeat = setInterval(() => response.write(": ping\n\n"), dashboardHeartbeatMs);
    heartbeat.unref();
    this.#streams.add(response);
    const close = (): void => {
      clearInterval(heartbeat);
      this.#streams.delete(response);
    };
    request.on("close", close);
    response.on("close", close);
  }

  /** Coalesces changes and pushes one state event to every open stream. */
  #changed(): void {
    if (this.#pushTimer !== undefined || this.#streams.size === 0) return;
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = undefined;
      const event = `event: state\ndata: ${JSON.stringify(this.state())}\n\n`;
      for (const stream of this.#streams) stream.write(event);
    }, stateCoalesceMs);
  }

  #watchDevices(): void {
    const { display, printer, cardReader } = this.#devices;
    const onDisplay = (): void => {
      const text = displayTextForLog(display.snapshot().lines);
      if (text !== this.#lastDisplayText) this.#log.add("display", text);
      this.#lastDisplayText = text;
      this.#changed();
    };
    let faults: PrinterFaults = printer.snapshot().faults;
    const onPrinter = (): void => {
      const next = printer.snapshot().faults;
      for (const name of Object.keys(next) as (keyof PrinterFaults)[]) {
        if (next[name] !== faults[name]) this.#log.add("printer", `${name} ${next[name] ? "on" : "off"}`, next[name] ? "warn" : "info");
      }
      faults = next;
      this.#changed();
    };
    const onReceipt = (receipt: Receipt): void => {
      const qr = receipt.qr.length > 0 ? `, QR ${receipt.qr.join(", ")}` : "";
      this.#log.add("printer", `receipt cut: ${receipt.lines.length} lines${qr}`);
      this.#changed();
    };
    const onDrawerKick = (): void => {
      this.#drawerOpen = true;
      this.#log.add("drawer", "drawer kicked open");
      this.#changed();
    };
    const onSwipe = (swipe: SwipeSummary): void => {
      this.#log.add("card-reader", swipe.card === "bad" ? "bad swipe (unreadable tracks)" : `card swiped: ${swipe.card} ${swipe.maskedPan ?? ""}`.trimEnd());
      this.#changed();
    };
    display.on("changed", onDisplay);
    printer.on("changed", onPrinter);
    printer.on("receipt", onReceipt);
    printer.on("drawerKick", onDrawerKick);
    cardReader.on("swipe", onSwipe);
    this.#detach.push(
      () => display.off("changed", onDisplay),
      () => printer.off("changed", onPrinter),
      () => printer.off("receipt", onReceipt),
      () => printer.off("drawerKick", onDrawerKick),
      () => cardReader.off("swipe", onSwipe),
    );
  }
}
