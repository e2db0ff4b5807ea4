/**
 * The device interfaces the rest of the agent sees (UnifiedPOS categories: LineDisplay, POSPrinter,
 * MSR). Drivers implement them over a Transport; the shell never touches bytes.
 */
import type { ScreenLines } from "../core/screens.js";
import type { ReceiptData } from "../protocols/escpos/receipt.js";
import type { DeviceStatus } from "./transport.js";

export interface Device {
  readonly status: DeviceStatus;
  start(): void;
  stop(): Promise<void>;
}

export interface PoleDisplay extends Device {
  /** Show these two lines; only changed cells go to the device. Never throws (a display is best effort). */
  show(lines: ScreenLines): void;
}

export interface ReceiptPrinter extends Device {
  /** Resolves when the receipt bytes have drained to the printer; rejects when it is offline. */
  print(receipt: ReceiptData): Promise<void>;
  /** ESC p drawer kick; a no-op unless configured with `drawer: true`. */
  kickDrawer(): Promise<void>;
}

export interface CardReader extends Device {
  on(event: "swipe", listener: (summary: { last4?: string; kind: string }) => void): this;
}
