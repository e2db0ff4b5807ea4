/**
 * The register's line to the server, on loopback, with a hand on the cable: `cut()` drops every
 * connection and refuses new ones, `freeze()` stops forwarding bytes without closing anything (a
 * half-dead line, as when a switch wedges), `heal()` lets traffic flow again.
 */
import net from "node:net";

type Mode = "pass" | "cut" | "frozen";

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

export class LineProxy {
  #mode: Mode = "pass";
  readonly #pairs = new Set<Pair>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, host = "127.0.0.1"): Promise<LineProxy> {
    let proxy: LineProxy | undefined;
    const server = net.createServer((client) => proxy?.accept(client, targetPort, host));
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no port");
    proxy = new LineProxy(server, address.port);
    return proxy;
  }

  get mode(): Mode {
    return this.#mode;
  }

  private accept(client: net.Socket, targetPort: number, host: string): void {
    if (this.#mode === "cut") {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.#pairs.delete(pair);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    if (this.#mode === "frozen") this.#pause(pair);
  }

  #pause(pair: Pair): void {
    pair.client.pause();
    pair.upstream.pause();
  }

  cut(): void {
    this.#mode = "cut";
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.#pairs.clear();
  }

  freeze(): void {
    this.#mode = "frozen";
    for (const pair of this.#pairs) this.#pause(pair);
  }

  heal(): void {
    this.#mode = "pass";
    for (const pair of this.#pairs) {
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
