/**
 * Device faults the people at the register must act on, from the devices' states. Pure.
 * The printer's own report (DLE EOT / ASB: paper end, cover open, offline) counts only while its line
 * is up; a device whose line is down (unplugged, no power) is DEVICE_OFFLINE. Each fault carries the
 * contract's words (English and Japanese) so no person sees a bare code.
 */
import { ERROR_WORDS } from "@codepay/contract";
import type { DeviceHealthState, ErrorCode, ErrorWords, FleetDevice } from "@codepay/contract";

export type FaultDevice = "printer" | "cardReader" | "display";

export interface DeviceFault {
  readonly device: FaultDevice;
  readonly code: ErrorCode;
  readonly words: ErrorWords;
}

/** A device's line as the transport sees it ("stopped": the agent is shutting down). */
export type LineStatus = "online" | "offline" | "stopped";

export interface DeviceStates {
  readonly printer?: { readonly line: LineStatus; readonly paperEnd: boolean; readonly coverOpen: boolean; readonly offline: boolean; readonly paperNearEnd?: boolean } | undefined;
  readonly cardReader?: { readonly line: LineStatus } | undefined;
  readonly display?: { readonly line: LineStatus } | undefined;
}

function fault(device: FaultDevice, code: ErrorCode): DeviceFault {
  return { device, code, words: ERROR_WORDS[code] };
}

/** Faults of the configured devices, printer first; an unconfigured device has none. */
export function deviceFaults(states: DeviceStates): DeviceFault[] {
  const faults: DeviceFault[] = [];
  const { printer, cardReader, display } = states;
  if (printer?.line === "offline") faults.push(fault("printer", "DEVICE_OFFLINE"));
  else if (printer?.line === "online") {
    // Paper end and an open cover also set the offline bit (DLE EOT 1): name the cause, not the symptom.
    if (printer.paperEnd) faults.push(fault("printer", "PRINTER_PAPER_END"));
    else if (printer.coverOpen) faults.push(fault("printer", "PRINTER_COVER_OPEN"));
    else if (printer.offline) faults.push(fault("printer", "PRINTER_OFFLINE"));
  }
  if (cardReader?.line === "offline") faults.push(fault("cardReader", "DEVICE_OFFLINE"));
  if (display?.line === "offline") faults.push(fault("display", "DEVICE_OFFLINE"));
  return faults;
}

/**
 * What a cashier is told when starting a payment: the printer's fault (no receipt until it is
 * cleared; the receipt waits in the durable queue) and a missing device the tender needs (the pole
 * display shows a code payment's code, the card reader takes the card). A warning, not a refusal:
 * the payment itself needs neither the printer nor, for a code, the display (the panel shows the code).
 */
export function paymentStartWarnings(faults: readonly DeviceFault[], tender: "code" | "card"): DeviceFault[] {
  return faults.filter((each) => each.device === "printer" || (tender === "card" ? each.device === "cardReader" : each.device === "display"));
}

/**
 * What the register reports of each configured device on its status topic (fleet health, issue 20):
 * its line, and for a printer on line its own status, the most urgent first. Unconfigured devices are
 * left out.
 */
export function deviceHealth(states: DeviceStates): Partial<Record<FleetDevice, DeviceHealthState>> {
  const health: Partial<Record<FleetDevice, DeviceHealthState>> = {};
  const line = (status: LineStatus): DeviceHealthState => (status === "online" ? "online" : "offline");
  if (states.display !== undefined) health.display = line(states.display.line);
  if (states.printer !== undefined) {
    const printer = states.printer;
    health.printer =
      printer.line !== "online" ? "offline" : printer.paperEnd ? "paper-end" : printer.coverOpen ? "cover-open" : printer.offline ? "offline" : printer.paperNearEnd === true ? "paper-near-end" : "online";
  }
  if (states.cardReader !== undefined) health.cardReader = line(states.cardReader.line);
  return health;
}
