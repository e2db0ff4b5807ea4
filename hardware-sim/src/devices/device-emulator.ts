/**
 * What every simulated device offers a transport: bytes in from the host, bytes out to the host.
 * A transport (in-process binding, pty, TCP) only moves bytes; the emulator is the device.
 */

export type DeviceKey = "display" | "printer" | "cardReader";

export const DEVICE_KEYS: readonly DeviceKey[] = ["display", "printer", "cardReader"];

/** File-name form of each device key (pty link names, simulated port paths). */
export const DEVICE_FILE_NAMES: Readonly<Record<DeviceKey, string>> = {
  display: "display",
  printer: "printer",
  cardReader: "card-reader",
};

/** Baud rates the real devices ship with (and the agent's default config uses). */
export const DEVICE_BAUD_RATES: Readonly<Record<DeviceKey, number>> = {
  display: 9600,
  printer: 19200,
  cardReader: 9600,
};

export interface DeviceEmulator {
  readonly key: DeviceKey;
  /** Host -> device bytes. */
  receive(bytes: Buffer): void;
  /** Device -> host bytes; returns the function that detaches the listener. */
  onTransmit(listener: (bytes: Buffer) => void): () => void;
}
