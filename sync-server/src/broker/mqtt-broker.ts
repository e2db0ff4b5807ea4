/** The embedded aedes broker on TCP (and optionally TLS), with Nagle off on every socket (DESIGN-NOTES: 88 ms -> 0.14 ms). */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes } from "aedes";
import { limits } from "../limits.js";
import { TLS_SERVER_POLICY } from "../tls-policy.js";
import type { BrokerHooks } from "./broker-hooks.js";
import { guardSocket, type PacketRefusal } from "./packet-size-guard.js";

/** OpenSSL's session id context of the MQTT/TLS listener: a resumed session must carry this one. */
const TLS_SESSION_ID_CONTEXT = "codepay-mqtt-tls";

/** PEM contents (not paths) for the TLS listener. */
export interface MqttTlsListener {
  readonly port: number;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Client CA: with it the listener asks for client certificates. */
  readonly ca?: Buffer;
  /** Refuse the handshake without a client certificate signed by `ca`. */
  readonly requireClientCert?: boolean;
  /** No plain-TCP listener at all: registers reach the broker only over TLS. */
  readonly only?: boolean;
  /** Session ticket keys (tls-session-tickets.ts): tickets issued before a restart resume after it. */
  readonly ticketKeys?: Buffer;
}

/** TLS handshakes of the MQTT listener: full, or a session resumed from a ticket. */
export interface TlsHandshakeCounts {
  readonly full: number;
  readonly resumed: number;
}

export interface MqttBroker {
  readonly aedes: Aedes;
  /** The plain listener's mqtt:// url, or the TLS one when TLS is the only listener. */
  readonly url: string;
  /** mqtts://host:port when a TLS listener runs. */
  readonly tlsUrl?: string;
  /** Connections closed because a packet's header announced more than its bound, by reason. */
  packetsRefused(): Readonly<Record<PacketRefusal, number>>;
  /** Handshakes completed on the TLS listener (zeros without one). */
  tlsHandshakes(): TlsHandshakeCounts;
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A long accept queue: a reconnect storm's SYNs wait there instead of being dropped (a dropped SYN costs the client a 1 s retransmit).
    server.listen({ port, host, backlog: limits.mqttListenBacklog }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port; // a TCP listener always has an AddressInfo
}

export async function startMqttBroker(options: { host: string; port: number; hooks: BrokerHooks; tls?: MqttTlsListener }): Promise<MqttBroker> {
  const aedes = await Aedes.createBroker({
    preConnect: options.hooks.preConnect,
    authenticate: options.hooks.authenticate,
    authorizePublish: options.hooks.authorizePublish,
    authorizeSubscribe: options.hooks.authorizeSubscribe,
    maxTopicLevels: limits.mqttTopicLevelsMax,
  });
  const refused: Record<PacketRefusal, number> = { connect_too_large: 0, packet_too_large: 0, malformed_length: 0 };
  const bounds = { connectBytesMax: limits.mqttConnectPacketBytesMax, packetBytesMax: limits.mqttPacketBytesMax };
  const handle = (socket: Socket): void => {
    socket.setNoDelay(true);
    aedes.handle(socket);
    guardSocket(socket, bounds, (refusal) => (refused[refusal] += 1));
  };
  const server: Server = createServer({ noDelay: true }, handle);
  const plain = options.tls?.only !== true;
  const servers: Server[] = plain ? [server] : [];
  const port = plain ? await listen(server, options.port, options.host) : undefined;
  let tlsUrl: string | undefined;
  const handshakes = { full: 0, resumed: 0 };
  if (options.tls !== undefined) {
    const tls = options.tls;
    const tlsServer = createTlsServer(
      {
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca !== undefined ? { ca: tls.ca, requestCert: true, rejectUnauthorized: tls.requireClientCert === true } : {}),
        ...(tls.ticketKeys !== undefined ? { ticketKeys: tls.ticketKeys } : {}),
        sessionTimeout: limits.mqttTlsSessionLifetimeS,
        // Node's default is a hash of process.argv: any changed flag at a restart would refuse every
        // ticket. The ticket keys already belong to this listener alone (tls-session-tickets.ts).
        sessionIdContext: TLS_SESSION_ID_CONTEXT,
        ...TLS_SERVER_POLICY,
      },
      handle,
    );
    tlsServer.on("tlsClientError", (error) => options.hooks.onTlsClientError?.(error));
    tlsServer.on("secureConnection", (socket) => {
      if (socket.isSessionReused()) handshakes.resumed += 1;
      else handshakes.full += 1;
    });
    servers.push(tlsServer);
    tlsUrl = `mqtts://${options.host}:${await listen(tlsServer, tls.port, options.host)}`;
  }
  return {
    aedes,
    url: port !== undefined ? `mqtt://${options.host}:${port}` : (tlsUrl ?? ""),
    ...(tlsUrl !== undefined ? { tlsUrl } : {}),
    packetsRefused: () => ({ ...refused }),
    tlsHandshakes: () => ({ ...handshakes }),
    async close() {
      // Stop accepting first, then close the clients (server.close waits for open sockets).
      const serversClosed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await serversClosed;
    },
  };
}
