/**
 * One JSON POST over node:http / node:https (Node's global agents keep connections alive), bounded
 * by a timeout. The phone used fetch before: undici's Request, Response, web streams and abort
 * signals cost the load generator more CPU per payment than the request itself (issue 7's bench).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpReply {
  readonly status: number;
  readonly text: string;
}

/** Resolves with the status and body of any HTTP answer; rejects when there is none (refused, reset, timed out). */
export function postJson(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpReply> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<HttpReply>((resolve, reject) => {
    const payload = Buffer.from(body);
    const outgoing = send(url, { method: "POST", headers: { ...headers, "content-length": String(payload.length) }, timeout: timeoutMs });
    outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on("error", reject);
    outgoing.on("response", (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    outgoing.end(payload);
  });
}
