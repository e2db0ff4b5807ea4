/**
 * Free TCP ports on loopback: the OS picks them. Between the probe's close and the caller's listen
 * another process may take the port (a small race, accepted here; callers that start several
 * listeners at once retry on EADDRINUSE).
 */
import { connect, createServer, type AddressInfo, type Server } from "node:net";

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/**
 * `count` distinct free ports. Every probe stays open until all are taken: probing one at a time,
 * the OS may hand the same port out twice (seen in CI: a nats node's monitor and route port).
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index += 1) servers.push(await listenOnAnyPort());
    return servers.map((server) => (server.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export async function freeLoopbackPort(): Promise<number> {
  return (await freeLoopbackPorts(1))[0]!;
}

/** Resolves once something accepts TCP connections on the port; gives up after `attemptsMax` tries 50 ms apart. */
export async function waitForLoopbackPort(port: number, attemptsMax = 200): Promise<void> {
  for (let attempt = 0; attempt < attemptsMax; attempt += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}
