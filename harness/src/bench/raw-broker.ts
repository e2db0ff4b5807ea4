/**
 * A bare aedes broker in its own process, no auth, no application: the physical floor the payment
 * benchmark compares against. Prints {"event":"listening","port":N}; exits on SIGTERM.
 */
import { createServer } from "node:net";
import { Aedes } from "aedes";

const broker = await Aedes.createBroker();
const server = createServer({ noDelay: true }, (socket) => {
  socket.setNoDelay(true);
  broker.handle(socket);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  process.stdout.write(`${JSON.stringify({ event: "listening", port: address.port })}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  broker.close(() => process.exit(0));
});
