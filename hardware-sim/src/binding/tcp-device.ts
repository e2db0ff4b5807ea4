/**
 * Serves one emulator as a raw TCP socket on loopback, like a serial device server (ser2net,
 * Moxa NPort TCP-server mode) or a network printer on 9100. The agent opens tcp://127.0.0.1:PORT.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { BytePacer } from "./byte-pacer.js";

export interface TcpDeviceOptions {
  readonly emulator: DeviceEmulator;
  readonly host?: string;
  readonly port?: number;
  readonly baudRate: number;
  readonly baudPacing: boolean;
}

export interface TcpDevice {
  /** tcp://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Drops every connection and stops listening, as a device server that lost power. */
  unplug(): Promise<void>;
  /** Listens again on the same port. */
  replug(): Promise<void>;
}

export async function startTcpDevice(options: TcpDeviceOptions): Promise<TcpDevice> {
  const host = options.host ?? "127.0.0.1";
  const baudRate = options.baudPacing ? options.baudRate : undefined;
  const sockets = new Set<Socket>();
  const toDevice = new BytePacer((bytes) => options.emulator.receive(bytes), baudRate);
  const toHost = new BytePacer((bytes) => {
    for (const socket of sockets) socket.write(bytes);
  }, baudRate);
  const detach = options.emulator.onTransmit((bytes) => toHost.send(Buffer.from(bytes)));
  const listen = async (port: number): Promise<Server> => {
    const server = createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.on("data", (bytes: Buffer) => toDevice.send(bytes));
      socket.on("error", () => socket.destroy());
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  };
  const close = async (server: Server | undefined): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let server: Server | undefined = await listen(options.port ?? 0);
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("TCP device server has no port");
  const port = address.port;
  return {
    url: `tcp://${host}:${port}`,
    port,
    async stop() {
      detach();
      toDevice.stop();
      toHost.stop();
      const closing = server;
      server = undefined;
      await close(closing);
    },
    async unplug() {
      toDevice.stop(); // bytes still on the wire are lost with the cable
      toHost.stop();
      const closing = server;
      server = undefined;
      await close(closing);
    },
    async replug() {
      server ??= await listen(port);
    },
  };
}
