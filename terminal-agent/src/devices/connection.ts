/** What every device line is, whatever carries it (serial port or TCP socket): the transport's side of the contract. */
/** An open line to a device. `close()` must not fire the `onClose` handler's reconnect. */
export interface Connection {
  write(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectionHandlers {
  onData(bytes: Buffer): void;
  /** The line went away without us closing it (unplug, socket reset). */
  onClose(error?: Error): void;
}

export type Connect = (handlers: ConnectionHandlers) => Promise<Connection>;
