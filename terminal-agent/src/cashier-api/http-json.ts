/** Small helpers for the cashier API's JSON over node:http. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorBody } from "@codepay/contract";
import type { ErrorCode } from "@codepay/contract";
import { requestBodyBytesMax } from "../core/limits.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status for each error code the cashier API can return. */
export function statusForCode(code: ErrorCode): number {
  switch (code) {
    case "SERVER_UNAVAILABLE":
    case "STORAGE_FULL":
      return 503;
    case "PAYMENT_NOT_FOUND":
    case "NOT_FOUND":
      return 404;
    case "PAYMENT_EXISTS":
    case "PAYMENT_SETTLED":
    case "CODE_EXPIRED":
    case "IDEMPOTENCY_MISMATCH":
    case "VOID_NOT_ALLOWED":
    case "REFUND_EXCEEDS_ORIGINAL":
    case "PERIOD_CLOSED":
    case "PAYMENT_IN_PROGRESS":
    case "NO_RECEIPT":
      return 409;
    case "SERVER_TIMEOUT":
      return 504;
    case "INTERNAL":
      return 500;
    default:
      return 400;
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  response.end(text);
}

export function sendError(response: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(response, statusForCode(code), errorBody(code, message));
}

/** Reads a JSON body of at most requestBodyBytesMax; an empty body reads as {}. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > requestBodyBytesMax) throw new HttpError(413, "BAD_REQUEST", `body larger than ${requestBodyBytesMax} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "BAD_REQUEST", "body is not JSON");
  }
}
