/**
 * GET /v1/events: server-sent events, `event: payment` with `data: { payment }` on every change, and
 * `event: health` with the health view whenever a device changes (paper end, cover open, unplug...).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { sseClientsMax, sseHeartbeatIntervalMs } from "../core/limits.js";
import type { PaymentView } from "../core/payment.js";
import type { PaymentRuntime } from "../shell/payment-runtime.js";
import { sendError } from "./http-json.js";

export interface HealthSource {
  readonly health: () => unknown;
  readonly onHealthChange?: ((listener: () => void) => () => void) | undefined;
}

export class EventStream {
  readonly #clients = new Set<ServerResponse>();

  constructor(
    private readonly runtime: PaymentRuntime,
    private readonly logger: Logger,
    private readonly healthSource?: HealthSource,
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
    const health = this.healthSource;
    const stopHealth = health?.onHealthChange?.(() => response.write(`event: health\ndata: ${JSON.stringify(health.health())}\n\n`));
    this.#clients.add(response);
    const close = (): void => {
      clearInterval(heartbeat);
      stopHealth?.();
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
