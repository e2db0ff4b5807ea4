/** What the dashboard page draws, built from the emulators' snapshots: pushed whole on every change. */
import type { DeviceKey } from "../devices/device-emulator.js";
import type { PrinterFaults } from "../protocols/escpos/printer-status.js";
import type { Receipt, ReceiptLine } from "../protocols/escpos/receipt-builder.js";
import type { SimDevices } from "../binding/start-devices.js";
import type { LogEntry } from "./event-log.js";
import { encodeQr, qrRows } from "./qr-encoder.js";

/** Receipts the page shows, newest first. */
export const receiptsShownMax = 4;
/** Event-log entries the page shows. */
export const logEntriesShownMax = 60;
const qrCacheEntriesMax = 64;

export interface QrView {
  readonly payload: string;
  /** "1" dark, "0" light; absent when the payload does not fit a version 1–4 symbol (shown as text). */
  readonly rows?: readonly string[];
}

export interface ReceiptView {
  readonly lines: readonly ReceiptLine[];
  readonly qr: readonly QrView[];
  readonly cut: boolean;
  readonly drawerKicks: number;
}

export interface DashboardState {
  readonly display: { readonly lines: readonly [string, string]; readonly brightness: number };
  readonly printer: { readonly faults: PrinterFaults; readonly receipts: readonly ReceiptView[]; readonly printing: ReceiptView | undefined; readonly receiptsTotal: number };
  readonly drawer: { readonly open: boolean; readonly kicks: number };
  readonly cardReader: { readonly swipes: number };
  readonly plugged: Readonly<Record<DeviceKey, boolean>>;
  readonly phone: { readonly available: boolean; readonly shopperPageUrl?: string };
  readonly log: readonly LogEntry[];
}

export class QrCache {
  readonly #rows = new Map<string, readonly string[] | undefined>();

  view(payload: string): QrView {
    if (!this.#rows.has(payload)) {
      if (this.#rows.size >= qrCacheEntriesMax) this.#rows.delete(this.#rows.keys().next().value!);
      const matrix = encodeQr(payload, { errorCorrection: "M" });
      this.#rows.set(payload, matrix === undefined ? undefined : qrRows(matrix));
    }
    const rows = this.#rows.get(payload);
    return rows === undefined ? { payload } : { payload, rows };
  }
}

export function receiptView(receipt: Receipt, qrCache: QrCache): ReceiptView {
  return { lines: receipt.lines, qr: receipt.qr.map((payload) => qrCache.view(payload)), cut: receipt.cut, drawerKicks: receipt.drawerKicks };
}

export interface LocalState {
  readonly drawerOpen: boolean;
  readonly plugged: Readonly<Record<DeviceKey, boolean>>;
  readonly phone: DashboardState["phone"];
  readonly log: readonly LogEntry[];
}

export function dashboardState(devices: SimDevices, local: LocalState, qrCache: QrCache): DashboardState {
  const display = devices.display.snapshot();
  const printer = devices.printer.snapshot();
  return {
    display: { lines: display.lines, brightness: display.brightness },
    printer: {
      faults: printer.faults,
      receipts: printer.receipts.slice(-receiptsShownMax).reverse().map((receipt) => receiptView(receipt, qrCache)),
      printing: printer.printing === undefined ? undefined : receiptView(printer.printing, qrCache),
      receiptsTotal: printer.receipts.length,
    },
    drawer: { open: local.drawerOpen, kicks: printer.drawerKicksTotal },
    cardReader: { swipes: devices.cardReader.snapshot().swipes },
    plugged: local.plugged,
    phone: local.phone,
    log: local.log,
  };
}
