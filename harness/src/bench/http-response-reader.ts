/**
 * Reads HTTP/1.1 responses off one keep-alive connection, for the bench's phone: bytes in, complete
 * responses out (status, body text, whether the server keeps the connection). Pure: no socket here.
 *
 * It reads what the carrier gateway (fastify) sends to a phone: a status line, headers, and a body of
 * Content-Length bytes (RFC 9112 section 6.3). A chunked or unbounded body is refused with a clear error
 * rather than guessed at; so is a head past `headBytesMax`.
 */
export interface HttpResponse {
  readonly status: number;
  readonly body: string;
  /** False when the server said `Connection: close` (the connection must not be reused). */
  readonly keepAlive: boolean;
}

const HEAD_END = "\r\n\r\n";

export class HttpResponseReader {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly headBytesMax: number) {}

  /** Feeds bytes; returns every response they complete, in order (usually none or one). */
  push(chunk: Buffer): HttpResponse[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const responses: HttpResponse[] = [];
    for (;;) {
      const response = this.#next();
      if (response === undefined) return responses;
      responses.push(response);
    }
  }

  /** Bytes received that do not yet make a whole response. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  #next(): HttpResponse | undefined {
    const headEnd = this.#pending.indexOf(HEAD_END, 0, "latin1");
    if (headEnd < 0) {
      if (this.#pending.length > this.headBytesMax) throw new Error(`HTTP response head longer than ${this.headBytesMax} bytes`);
      return undefined;
    }
    const head = this.#pending.toString("latin1", 0, headEnd);
    const lines = head.split("\r\n");
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
    if (statusLine === null) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`);
    let contentLength: number | undefined;
    let keepAlive = true;
    for (let index = 1; index < lines.length; index += 1) {
      const line = lines[index]!;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") contentLength = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      else if (name === "transfer-encoding") throw new Error(`HTTP response with Transfer-Encoding: ${value} (the bench's phone reads Content-Length bodies only)`);
      else if (name === "connection") keepAlive = value.toLowerCase() !== "close";
    }
    if (contentLength === undefined || Number.isNaN(contentLength)) throw new Error("HTTP response without a valid Content-Length");
    const bodyStart = headEnd + HEAD_END.length;
    if (this.#pending.length < bodyStart + contentLength) return undefined;
    const body = this.#pending.toString("utf8", bodyStart, bodyStart + contentLength);
    this.#pending = this.#pending.subarray(bodyStart + contentLength);
    return { status: Number(statusLine[1]), body, keepAlive };
  }
}
