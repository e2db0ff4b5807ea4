/**
 * One device model for every peripheral, after UnifiedPOS (JavaPOS/OPOS, UPOS 1.16 chapter 1):
 *   open()    the driver is ready to use (UPOS open: the control is bound to a service)
 *   claim()   exclusive access: the port is opened and held (UPOS claim)
 *   enable()  the device is powered into use and starts sending events (UPOS DeviceEnabled = true)
 *   disable() no more events; output already queued is kept (DeviceEnabled = false)
 *   release() the port is closed (UPOS release)
 *   close()   the driver is done (UPOS close)
 * State: closed (not open) -> idle <-> busy (output in progress), error (the device reports a fault).
 * Power: online (the port is open and the device talks), offline (the line is gone: unplugged,
 * socket dropped; the transport reopens it), off (not claimed: we hold no port, so we know nothing).
 * Events: data (input: a card read), error (a bad read, a print fault), status (power and device
 * status changes: paper near end, cover open ...), outputComplete (a receipt is out, a screen is shown).
 */
import type { ScreenLines } from "../core/screens.js";
import type { ReceiptData } from "../protocols/escpos/receipt.js";
import type { DeviceStatus } from "./transport.js";

export type DeviceState = "closed" | "idle" | "busy" | "error";
export type PowerState = "online" | "off" | "offline";

/** UnifiedPOS StatusUpdateEvent, narrowed to what Code Pay's devices report. */
export type DeviceStatusUpdate =
  | { readonly kind: "power"; readonly power: PowerState }
  | { readonly kind: "state"; readonly state: DeviceState }
  | { readonly kind: "printer"; readonly status: "paperNearEnd" | "paperEnd" | "coverOpen" | "offline" | "paperOk" | "coverClosed" | "online" };

/** UnifiedPOS ErrorEvent: a stable code and a message that never holds card data. */
export interface DeviceErrorEvent {
  readonly code: string;
  readonly message: string;
}

/** UnifiedPOS OutputCompleteEvent: `outputId` names what was output (a paymentId for receipts). */
export interface OutputCompleteEvent {
  readonly outputId: string;
}

export interface DeviceEventMap<Data> {
  data: [data: Data];
  error: [error: DeviceErrorEvent];
  status: [update: DeviceStatusUpdate];
  outputComplete: [event: OutputCompleteEvent];
}

export interface Device {
  /** "display", "printer", "cardReader". */
  readonly name: string;
  readonly state: DeviceState;
  readonly powerState: PowerState;
  readonly claimed: boolean;
  readonly enabled: boolean;
  /** The transport's view, for /v1/health: online, offline or stopped. */
  readonly status: DeviceStatus;
  open(): void;
  claim(): void;
  enable(): void;
  disable(): void;
  release(): Promise<void>;
  close(): Promise<void>;
  /** open + claim + enable. */
  start(): void;
  /** disable + release + close, once queued output is done or has failed. */
  stop(): Promise<void>;
}

export interface PoleDisplay extends Device {
  /** Show these lines; only changed cells go to the device. Never throws (a display is best effort). */
  show(lines: ScreenLines): void;
}

export interface ReceiptPrinter extends Device {
  /**
   * Queues the receipt (durably, when the driver has a print queue) and resolves once the printer
   * reports it printed; rejects only when the receipt could not even be queued.
   */
  print(receipt: ReceiptData): Promise<void>;
  /**
   * ESC p drawer kick for this payment, queued durably behind its receipt; resolves once the printer
   * took it. A no-op unless configured with `drawer: true`.
   */
  kickDrawer(paymentId: string): Promise<void>;
}

/** What a card read gives the rest of the agent: never the PAN, never track data. */
export interface CardRead {
  readonly last4: string;
  /** First 6 / last 4, e.g. 411111******1111. */
  readonly maskedPan: string;
  /** YYMM as on the track. */
  readonly expiry: string;
  /** HMAC-SHA256 (hex) of the PAN with the deployment's card key; absent without a card key. */
  readonly token?: string | undefined;
  /** "Jane Doe" from track 1, only when the store greets by name (config `receipt.greetByName`); never logged. */
  readonly cardholderName?: string | undefined;
}

export interface CardReader extends Device {
  on(event: "data", listener: (read: CardRead) => void): this;
  on(event: "error", listener: (error: DeviceErrorEvent) => void): this;
  on(event: "status", listener: (update: DeviceStatusUpdate) => void): this;
}
