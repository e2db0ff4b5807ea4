/** A tiny JSON HTTP server for tests: the handler sees method, path, headers and parsed body. */
import { createServer, type IncomingHttpHeaders } from "node:http";

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export type FakeHandler = (request: FakeRequest) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>;

export async function startFakeHttp(handler: FakeHandler): Promise<{ url: string; requests: FakeRequest[]; close(): Promise<void> }> {
  const requests: FakeRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const fake: FakeRequest = { method: request.method ?? "GET", path: request.url ?? "/", headers: request.headers, body: text ? JSON.parse(text) : undefined };
    requests.push(fake);
    const reply = await handler(fake);
    response.writeHead(reply.status, { "content-type": "application/json" });
    response.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
