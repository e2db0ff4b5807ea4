/**
 * One HTTP(S) request from the carrier gateway to the shopper API, over a keep-alive agent. With
 * HTTPS the shopper API's certificate is checked against `ca` (the CA that issued it, `admin tls
 * issue-server`) or, without one, the system's roots.
 */
import http from "node:http";
import https from "node:https";

export interface UpstreamReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Upstream {
  request(url: URL, init: { method: string; headers: Record<string, string>; body?: Buffer }): Promise<UpstreamReply>;
  close(): void;
}

export function createUpstream(options: { readonly ca?: Buffer } = {}): Upstream {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  return {
    request: (url, init) =>
      new Promise((resolve, reject) => {
        const secure = url.protocol === "https:";
        const send = secure ? https.request : http.request;
        const headers = init.body !== undefined ? { ...init.headers, "content-length": String(init.body.length) } : init.headers;
        const request = send(url, { method: init.method, headers, agent: secure ? httpsAgent : httpAgent }, (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on("error", reject);
        });
        request.on("error", reject);
        request.end(init.body);
      }),
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** A single-valued header of an upstream reply. */
export function headerOf(reply: UpstreamReply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
