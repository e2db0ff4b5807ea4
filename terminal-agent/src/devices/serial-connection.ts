/** A serial port as a transport Connection. The binding is injected: the real one by default, a mock or the simulator's in tests. */
// serialport's own parts, not its index: that also loads eleven parsers and the mock binding (issue 7: agent memory).
import { autoDetect } from "@serialport/bindings-cpp";
import { SerialPortStream } from "@serialport/stream";
import type { Connection, ConnectionHandlers } from "./connection.js";

/**
 * A serialport `BindingInterface` (the real `SerialPort.binding`, `SerialPortMock.binding`, or the
 * simulator's). Typed structurally: the interface package's types do not resolve under NodeNext.
 */
export interface SerialBinding {
  open(options: never): Promise<unknown>;
  list(): Promise<unknown>;
}

export interface SerialOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly binding?: SerialBinding | undefined;
}

export async function connectSerial(options: SerialOptions, handlers: ConnectionHandlers): Promise<Connection> {
  // The injected binding (mock or simulator) or the platform's real one, as serialport's SerialPort picks it.
  const portOptions = { path: options.path, baudRate: options.baudRate, autoOpen: false, binding: options.binding ?? autoDetect() };
  const port = new SerialPortStream(portOptions as unknown as ConstructorParameters<typeof SerialPortStream>[0]);
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  let closing = false;
  port.on("data", (bytes: Buffer) => handlers.onData(bytes));
  // On unplug the stream closes itself with an error whose `disconnected` is true.
  port.on("close", (error?: Error) => {
    if (!closing) handlers.onClose(error);
  });
  port.on("error", (error: Error) => {
    if (!closing && !port.isOpen) handlers.onClose(error);
  });
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        port.write(bytes, (error) => {
          if (error) return reject(error);
          // tcdrain: resolve only once the bytes have left the UART, so writes go out one at a time.
          port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
