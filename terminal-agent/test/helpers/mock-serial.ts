import { SerialPortMock } from "serialport";
import type { SerialBinding } from "../../src/devices/serial-connection.js";

export type MockPortBinding = Awaited<ReturnType<typeof SerialPortMock.binding.open>>;

/**
 * SerialPortMock.binding, wrapped so the test can reach each opened port (its `recording` of bytes
 * written, `emitData`, and the pending read that an unplug rejects).
 */
export function mockSerial(): { binding: SerialBinding; opened: Map<string, MockPortBinding[]>; createPort(path: string): void; last(path: string): MockPortBinding } {
  const base = SerialPortMock.binding;
  const opened = new Map<string, MockPortBinding[]>();
  const binding = {
    list: () => base.list(),
    open: async (options: Parameters<typeof base.open>[0]) => {
      const port = await base.open(options);
      opened.set(options.path, [...(opened.get(options.path) ?? []), port]);
      return port;
    },
  };
  return {
    binding,
    opened,
    createPort: (path) => base.createPort(path, { echo: false, record: true }),
    last: (path) => {
      const ports = opened.get(path);
      const port = ports?.[ports.length - 1];
      if (!port) throw new Error(`${path} was never opened`);
      return port;
    },
  };
}

/** Simulates an unplug: the pending read fails with a non-cancel error, so serialport closes the stream with `disconnected`. */
export function unplug(port: MockPortBinding): void {
  const pending = (port as unknown as { pendingRead: ((error?: Error) => void) | null }).pendingRead;
  if (!pending) throw new Error("no pending read to fail");
  pending(new Error("device unplugged"));
}

export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
