/** A raw TCP socket as a transport Connection: `tcp://host:port` (serial device server, network printer). */
import net from "node:net";
import type { Connection, ConnectionHandlers } from "./connection.js";

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

export function parseTcpPath(path: string): TcpAddress | undefined {
  const match = /^tcp:\/\/([^/:]+):(\d{1,5})\/?$/i.exec(path);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1]!, port } : undefined;
}

export async function connectTcp(address: TcpAddress, handlers: ConnectionHandlers): Promise<Connection> {
  const socket = net.connect({ host: address.host, port: address.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.removeAllListeners("error");
  // Small command bursts (one display cell) must not wait for Nagle's algorithm.
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 10_000);
  let closing = false;
  socket.on("data", (bytes: Buffer) => handlers.onData(bytes));
  socket.on("error", () => undefined); // "close" follows every error
  socket.on("close", () => {
    if (!closing) handlers.onClose(new Error("connection closed by the device"));
  });
  return {
    write: (bytes) => new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve()))),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (socket.destroyed) return resolve();
        socket.end(() => {
          socket.destroy();
          resolve();
        });
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1_000).unref();
      }),
  };
}
