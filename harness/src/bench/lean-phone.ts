/**
 * The payments bench's phone: what a shopper's phone sends, at the least CPU the bench can spend on it.
 * Like SimPhone it goes through the carrier gateway with its subscriber credential as a bearer token
 * and does the shopper's two steps: claim (the reply shows store and amount), then approve. Unlike
 * SimPhone it writes each HTTP/1.1 request as one string on a keep-alive TCP connection of its own (no
 * node:http agent, request and response objects: issue 14's profile put them at a quarter of the load
 * generator), checks by hand the reply fields the bench relies on instead of parsing the whole reply
 * with zod, and times requests out with the bench's one sweep instead of a timer each.
 */
import { connect, type Socket } from "node:net";
import { SHOPPER_API_PREFIX, newTimeOrderedId } from "@codepay/contract";
import { leanPhoneRequestTimeoutMs, leanPhoneResponseHeadBytesMax } from "../limits.js";
import { HttpResponseReader, type HttpResponse } from "./http-response-reader.js";
import { benchSweep, type SweepMember } from "./timeout-sweep.js";

export interface LeanPhoneOptions {
  /** http://host:port of the carrier gateway. */
  readonly gatewayUrl: string;
  readonly subscriberCredential: string;
}

/** What the claim shows the shopper before they approve. */
export interface LeanClaim {
  readonly paymentId: string;
  readonly storeName: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export interface LeanApproval {
  readonly paymentId: string;
  readonly state: string;
}

interface ReplyFields {
  readonly paymentId?: unknown;
  readonly storeName?: unknown;
  readonly amount?: { readonly minor?: unknown; readonly currency?: unknown };
  readonly state?: unknown;
  readonly error?: { readonly code?: unknown; readonly message?: unknown };
}

/** One keep-alive connection to the gateway, one request at a time on it. */
class GatewayConnection {
  readonly #socket: Socket;
  readonly #reader = new HttpResponseReader(leanPhoneResponseHeadBytesMax);
  #waiter: { resolve: (response: HttpResponse) => void; reject: (error: Error) => void; sentAtMs: number } | undefined;
  #closed: Error | undefined;

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port, noDelay: true });
    this.#socket.on("data", (chunk: Buffer) => {
      let responses: HttpResponse[];
      try {
        responses = this.#reader.push(chunk);
      } catch (error) {
        return this.close(error instanceof Error ? error : new Error(String(error)));
      }
      for (const response of responses) {
        const waiter = this.#waiter;
        if (waiter === undefined) return this.close(new Error("HTTP response nobody asked for"));
        this.#waiter = undefined;
        if (!response.keepAlive) this.close(new Error("the gateway closed the connection"));
        waiter.resolve(response);
      }
    });
    this.#socket.on("error", (error) => this.close(error));
    this.#socket.on("close", () => this.close(new Error("the gateway closed the connection")));
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Open and idle: the next request can go on it. */
  get usable(): boolean {
    return this.#closed === undefined && this.#waiter === undefined;
  }

  send(requestText: string): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      if (this.#closed !== undefined) return reject(this.#closed);
      this.#waiter = { resolve, reject, sentAtMs: performance.now() };
      this.#socket.write(requestText);
    });
  }

  /** Fails the request in flight if it is older than the timeout. */
  expire(expiredBeforeMs: number): void {
    if (this.#waiter !== undefined && this.#waiter.sentAtMs < expiredBeforeMs) this.close(new Error(`no answer within ${leanPhoneRequestTimeoutMs} ms`));
  }

  close(error: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    this.#waiter?.reject(error);
    this.#waiter = undefined;
    this.#socket.destroy();
  }
}

export class LeanPhone implements SweepMember {
  readonly #host: string;
  readonly #port: number;
  readonly #requestHead: string;
  /** Open connections; a phone shared by several registers has one per request in flight. */
  readonly #connections: GatewayConnection[] = [];
  #swept = false;

  constructor(options: LeanPhoneOptions) {
    const url = new URL(options.gatewayUrl);
    if (url.protocol !== "http:") throw new Error(`the bench's phone speaks http only, not ${url.protocol} (${options.gatewayUrl})`);
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
    this.#requestHead = `Host: ${url.host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${options.subscriberCredential}\r\n`;
  }

  /** POST /api/v1/claims: the payment's store and amount, or the server's error. */
  async claim(code: string): Promise<LeanClaim> {
    const reply = await this.#post(`${SHOPPER_API_PREFIX}/claims`, `{"requestId":"${newTimeOrderedId()}","code":"${code}"}`);
    const { paymentId, storeName, amount } = reply;
    if (typeof paymentId !== "string" || typeof storeName !== "string" || typeof amount?.minor !== "number" || typeof amount.currency !== "string") {
      throw new Error("claim: the reply lacks paymentId, storeName or amount");
    }
    return { paymentId, storeName, amountMinor: amount.minor, currency: amount.currency };
  }

  /** POST /api/v1/payments/:paymentId/approve. */
  async approve(paymentId: string): Promise<LeanApproval> {
    const reply = await this.#post(`${SHOPPER_API_PREFIX}/payments/${encodeURIComponent(paymentId)}/approve`, `{"requestId":"${newTimeOrderedId()}"}`);
    if (reply.paymentId !== paymentId || typeof reply.state !== "string") throw new Error("approve: the reply lacks paymentId or state");
    return { paymentId, state: reply.state };
  }

  /** Closes every connection; a request in flight fails. */
  stop(): void {
    benchSweep.delete(this);
    this.#swept = false;
    for (const connection of this.#connections.splice(0)) connection.close(new Error("phone stopped"));
  }

  async #post(path: string, body: string): Promise<ReplyFields> {
    if (!this.#swept) {
      benchSweep.add(this);
      this.#swept = true;
    }
    const connection = this.#connection();
    // Every body here is ASCII: its length is its byte count.
    const response = await connection.send(`POST ${path} HTTP/1.1\r\n${this.#requestHead}Content-Length: ${body.length}\r\n\r\n${body}`);
    let fields: ReplyFields;
    try {
      fields = JSON.parse(response.body) as ReplyFields;
    } catch {
      throw new Error(`${path}: HTTP ${response.status} with a body that is not JSON`);
    }
    if (response.status < 200 || response.status > 299) throw new Error(`${path}: HTTP ${response.status} ${String(fields.error?.code)}: ${String(fields.error?.message)}`);
    return fields;
  }

  /** An idle open connection, or a new one (closed ones are dropped). */
  #connection(): GatewayConnection {
    for (let index = this.#connections.length - 1; index >= 0; index -= 1) {
      const connection = this.#connections[index]!;
      if (connection.usable) return connection;
    }
    const fresh = new GatewayConnection(this.#host, this.#port);
    for (let index = this.#connections.length - 1; index >= 0; index -= 1) if (this.#connections[index]!.closed) this.#connections.splice(index, 1);
    this.#connections.push(fresh);
    return fresh;
  }

  /** Fails requests that waited too long (the bench's one sweep calls this). */
  sweep(nowMs: number): void {
    const expiredBeforeMs = nowMs - leanPhoneRequestTimeoutMs;
    for (const connection of this.#connections) connection.expire(expiredBeforeMs);
  }
}
