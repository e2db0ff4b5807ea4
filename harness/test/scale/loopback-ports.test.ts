/**
 * The probe ports the harness hands to processes it starts (harness/src/cluster/loopback-port.ts).
 * In CI a nats node was once given one port for two listeners: probed one after the other, the OS may
 * hand the same free port out twice. A batch must be distinct, and free once handed out.
 */
import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { freeLoopbackPorts } from "../../src/cluster/loopback-port.js";

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

// Probing 200 ports one after the other, closing each probe first, gave a repeated port in 10 of 10
// tries on this machine (and in 5 of 50 tries of 48 ports).
const COUNT = 200;

describe("freeLoopbackPorts", () => {
  it("hands out distinct ports, every one of which can then be listened on at once", async () => {
    const ports = await freeLoopbackPorts(COUNT);
    expect(new Set(ports).size).toBe(COUNT);
    const servers = await Promise.all(ports.map(listenOn));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
});
