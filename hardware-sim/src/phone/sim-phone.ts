/**
 * A shopper's phone: claims a code and approves or declines over real HTTP through the carrier
 * gateway, with its subscriber credential as a bearer token. Every request gets a fresh
 * client-made requestId (time-ordered, as the shopper page makes them); every answer is checked
 * against the protocol's zod schemas.
 */
import { z } from "zod";
import {
  ApproveResponseSchema,
  ClaimResponseSchema,
  DeclineResponseSchema,
  ERROR_CODES,
  SHOPPER_API_PREFIX,
  type ApproveResponse,
  type ClaimResponse,
  type DeclineResponse,
  type ErrorCode,
  newTimeOrderedId,
} from "@codepay/contract";
import type { SimErrorCode } from "../errors.js";
import { phoneRequestTimeoutMs } from "../limits.js";
import { postJson, type HttpReply } from "./http-post.js";

export type PhoneResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly code: ErrorCode | SimErrorCode; readonly message: string };

export interface SimPhoneOptions {
  readonly gatewayUrl: string;
  readonly subscriberCredential: string;
  readonly requestTimeoutMs?: number;
}

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

export class SimPhone {
  private readonly gatewayUrl: string;

  constructor(private readonly options: SimPhoneOptions) {
    this.gatewayUrl = options.gatewayUrl.replace(/\/+$/, "");
  }

  /** POST /api/v1/claims { requestId, code }: code may be typed with spaces ("482 9137"). */
  claim(code: string): Promise<PhoneResult<ClaimResponse>> {
    return this.post("/claims", { requestId: newTimeOrderedId(), code: code.replace(/[\s-]/g, "") }, ClaimResponseSchema);
  }

  approve(paymentId: string): Promise<PhoneResult<ApproveResponse>> {
    return this.post(`/payments/${encodeURIComponent(paymentId)}/approve`, { requestId: newTimeOrderedId() }, ApproveResponseSchema);
  }

  decline(paymentId: string): Promise<PhoneResult<DeclineResponse>> {
    return this.post(`/payments/${encodeURIComponent(paymentId)}/decline`, { requestId: newTimeOrderedId() }, DeclineResponseSchema);
  }

  private async post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<PhoneResult<T>> {
    let response: HttpReply;
    try {
      response = await postJson(
        new URL(`${this.gatewayUrl}${SHOPPER_API_PREFIX}${path}`),
        { "content-type": "application/json", authorization: `Bearer ${this.options.subscriberCredential}` },
        JSON.stringify(body),
        this.options.requestTimeoutMs ?? phoneRequestTimeoutMs,
      );
    } catch (error) {
      return { ok: false, status: 0, code: "GATEWAY_UNREACHABLE", message: error instanceof Error ? error.message : String(error) };
    }
    const json = parseJson(response.text);
    if (response.status < 200 || response.status > 299) return errorResult(response.status, json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      return { ok: false, status: response.status, code: "RESPONSE_INVALID", message: parsed.error.message };
    }
    return { ok: true, value: parsed.data };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorResult(status: number, json: unknown): PhoneResult<never> {
  const parsed = ErrorBodySchema.safeParse(json);
  if (!parsed.success) return { ok: false, status, code: "RESPONSE_INVALID", message: `HTTP ${status} without an error body` };
  const { code, message } = parsed.data.error;
  if (!isErrorCode(code)) return { ok: false, status, code: "RESPONSE_INVALID", message: `unknown error code ${code}: ${message}` };
  return { ok: false, status, code, message };
}
