/**
 * The engine's PostgreSQL connection must listen for "error" from the moment it connects. Seen in the
 * full suite (database-restart.test.ts): PostgreSQL came back, an instance opened its engine
 * connection, and the postmaster was killed right then. The server's "ready" and its FATAL 57P01
 * arrived in one TCP read, so pg emitted "error" before `open` had attached its listener, and Node
 * ended the process ("Unhandled 'error' event").
 *
 * A real PostgreSQL cannot be made to send both in one segment on cue, so this test speaks the server's
 * side of the startup exchange on a socket (protocol 3.0: AuthenticationOk, ReadyForQuery) and writes
 * the FATAL in the same write.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresConnection } from "../../src/engine/postgres-connection.js";

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const authenticationOk = message("R", Buffer.from([0, 0, 0, 0]));
const readyForQuery = message("Z", Buffer.from("I", "latin1"));
const fatalPostmasterExit = message("E", Buffer.from("SFATAL\0VFATAL\0C57P01\0Mterminating connection due to unexpected postmaster exit\0\0", "utf8"));

/** Answers the startup message with "ready" and, in the same write, the FATAL of a dying server. */
function dyingServer(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket: Socket) => {
      socket.once("data", () => {
        socket.end(Buffer.concat([authenticationOk, readyForQuery, fatalPostmasterExit]));
      });
      socket.on("error", () => undefined);
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

describe("PostgresConnection.open", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it("hears an error that arrives with the connection's first ready: broken, told, the process still up", async () => {
    server = await dyingServer();
    const { port } = server.address() as AddressInfo;
    const told: Error[] = [];
    const connection = await PostgresConnection.open(`postgres://codepay@127.0.0.1:${port}/codepay`, (error) => told.push(error));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The FATAL first; pg may then report the closed socket as a second error.
    expect((told[0] as (Error & { code?: string }) | undefined)?.code).toBe("57P01");
    expect(connection.broken).toBe(true);
    await connection.close();
  });
});
