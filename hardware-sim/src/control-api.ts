/**
 * The simulator's control API (docs/contracts.md), plain node:http on loopback:
 *   GET  /api/display                -> { lines, brightness, cursor, ... }
 *   GET  /api/printer                -> { receipts: [{ text, lines, qr, cut, drawerKicks }], ... }
 *   POST /api/printer/faults         { paperNearEnd?, paperEnd?, coverOpen?, offline?, drawerOpen? } (simulator extension)
 *   POST /api/printer/faults         also { paperEndAfterLines: n }: the roll runs out after n more lines
 *   POST /api/devices/:device/unplug  pull the device's cable (pty: socat exits; tcp: sockets dropped); /replug plugs it back
 *   POST /api/card-reader/swipe      { card?: "visa" | "mastercard" | "bad", framing?: "crlf" | "cr" | "concatenated" | "stx-etx" | "magtek-esc" }
 *   GET  /api/health
 * and the technician dashboard (dashboard-web/): GET /, /api/events (SSE), POST /api/phone/pay, ...
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { z } from "zod";
import { controlRequestBodyBytesMax } from "./limits.js";
import { SWIPE_CARD_NAMES } from "./protocols/magstripe/test-cards.js";
import { SWIPE_FRAMINGS } from "./protocols/magstripe/magstripe-tracks.js";
import type { SimDevices } from "./binding/start-devices.js";
import { DashboardWeb, type PhoneSource } from "./dashboard-web/dashboard-web.js";

export interface ControlApiOptions {
  readonly devices: SimDevices;
  readonly host?: string;
  readonly port?: number;
  /** The phone the dashboard's phone panel pays with. */
  readonly phone?: PhoneSource;
}

export interface ControlApi {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

const SwipeRequestSchema = z.object({ card: z.enum(SWIPE_CARD_NAMES as ["visa", "mastercard", "bad"]).optional(), framing: z.enum(SWIPE_FRAMINGS).optional() });
const FaultsRequestSchema = z.object({
  paperNearEnd: z.boolean().optional(), paperEnd: z.boolean().optional(), coverOpen: z.boolean().optional(),
  offline: z.boolean().optional(), drawerOpen: z.boolean().optional(),
  paperEndAfterLines: z.number().int().min(1).max(100_000).optional(),
}).strict();
const DEVICE_ROUTE = /^\/api\/devices\/(display|printer|cardReader)\/(unplug|replug)$/;

type Reply = { readonly status: number; readonly body: unknown };

function error(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code, message } } };
}

async function route(devices: SimDevices, method: string, path: string, body: unknown): Promise<Reply> {
  const key = `${method} ${path}`;
  const deviceRoute = method === "POST" ? DEVICE_ROUTE.exec(path) : null;
  if (deviceRoute !== null) {
    const device = deviceRoute[1] as "display" | "printer" | "cardReader";
    await (deviceRoute[2] === "unplug" ? devices.unplug(device) : devices.replug(device));
    return { status: 200, body: { device, plugged: deviceRoute[2] === "replug" } };
  }
  switch (key) {
    case "GET /api/display": return { status: 200, body: devices.display.snapshot() };
    case "GET /api/printer": return { status: 200, body: devices.printer.snapshot() };
    case "GET /api/health":
      return { status: 200, body: { status: "ok", transport: devices.transport, devices: devices.paths, cardReader: devices.cardReader.snapshot() } };
    case "POST /api/card-reader/swipe": {
      const parsed = SwipeRequestSchema.safeParse(body ?? {});
      if (!parsed.success) return error(400, "BAD_REQUEST", `card must be visa, mastercard or bad; framing one of ${SWIPE_FRAMINGS.join(", ")}`);
      return { status: 200, body: { swipe: devices.cardReader.swipe(parsed.data.card ?? "visa", parsed.data.framing) } };
    }
    case "POST /api/printer/faults": {
      const parsed = FaultsRequestSchema.safeParse(body ?? {});
      if (!parsed.success) return error(400, "BAD_REQUEST", parsed.error.message);
      const change = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
      return { status: 200, body: { faults: devices.printer.setFaults(change) } };
    }
    default: return error(404, "NOT_FOUND", `no route ${key}`);
  }
}

async function readJsonBody(request: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; reply: Reply }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > controlRequestBodyBytesMax) return { ok: false, reply: error(413, "BAD_REQUEST", "body too large") };
    chunks.push(chunk);
  }
  if (total === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown };
  } catch {
    return { ok: false, reply: error(400, "BAD_REQUEST", "body is not JSON") };
  }
}

async function handle(devices: SimDevices, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  const body = await readJsonBody(request);
  const reply = body.ok ? await route(devices, request.method ?? "GET", path, body.value) : body.reply;
  response.writeHead(reply.status, { "content-type": "application/json" });
  response.end(JSON.stringify(reply.body));
}

export async function startControlApi(options: ControlApiOptions): Promise<ControlApi> {
  const host = options.host ?? "127.0.0.1";
  const dashboard = new DashboardWeb({ devices: options.devices, phone: options.phone });
  const server = createServer((request, response) => {
    const answer = async (): Promise<void> => {
      if (!(await dashboard.handle(request, response))) await handle(options.devices, request, response);
    };
    answer().catch((failure: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify(error(500, "INTERNAL", String(failure)).body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("control API has no port");
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      dashboard.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
