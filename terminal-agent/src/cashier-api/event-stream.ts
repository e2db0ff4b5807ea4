/** GET /v1/events: server-sent events, `event: payment` with `data: { payment }` on every change. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { sseClientsMax, sseHeartbeatIntervalMs } from "../core/limits.js";
import type { PaymentView } from "../core/payment.js";
import type { PaymentRuntime } from "../shell/payment-runtime.js";
import { sendError } from "./http-json.js";

export class EventStream {
  readonly #clients = new Set<ServerResponse>();

  constructor(
    private readonly runtime: PaymentRuntime,
    private readonly logger: Logger,
  ) {}

  open(request: IncomingMessage, response: ServerResponse): void {
    if (this.#clients.size >= sseClientsMax) {
      sendError(response, "BAD_REQUEST", `at most ${sseClientsMax} event streams`);
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    response.write(": connected\n\n");
    response.flushHeaders();
    const onPayment = (payment: PaymentView): void => {
      response.write(`event: payment\ndata: ${JSON.stringify({ payment })}\n\n`);
    };
    // A comment line keeps proxies and idle timeouts from closing a quiet stream.
    const heartbeat = setInterval(() => response.write(": ping\n\n"), sseHeartbeatIntervalMs);
    heartbeat.unref();
    this.runtime.on("payment", onPayment);
    this.#clients.add(response);
    const close = (): void => {
      clearInterval(heartbeat);
      this.runtime.off("payment", onPayment);
      this.#clients.delete(response);
    };
    request.on("close", close);
    response.on("close", close);
    this.logger.debug({ clients: this.#clients.size }, "event stream opened");
  }

  closeAll(): void {
    for (const response of this.#clients) response.end();
    this.#clients.clear();
  }
}
