/** A shopper's phone: real HTTP through the carrier gateway with its subscriber credential. */
import { randomUUID } from "node:crypto";

export interface HttpReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Retry-After of a PHONE_LOCKED / STORE_LOCKED answer, when present. */
  readonly retryAfter?: string;
}

export class PhoneClient {
  constructor(
    private readonly gatewayUrl: string,
    private readonly credential: string,
  ) {}

  async post(path: string, body: unknown): Promise<HttpReply> {
    const response = await fetch(new URL(path, this.gatewayUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${this.credential}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const retryAfter = response.headers.get("retry-after");
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, ...(retryAfter !== null ? { retryAfter } : {}) };
  }

  claim(code: string, requestId: string = randomUUID()): Promise<HttpReply> {
    return this.post("/api/v1/claims", { requestId, code });
  }

  approve(paymentId: string, requestId: string = randomUUID(), pin?: string): Promise<HttpReply> {
    return this.post(`/api/v1/payments/${paymentId}/approve`, { requestId, ...(pin !== undefined ? { pin } : {}) });
  }

  decline(paymentId: string, requestId: string = randomUUID()): Promise<HttpReply> {
    return this.post(`/api/v1/payments/${paymentId}/decline`, { requestId });
  }
}

export function errorCodeOf(reply: HttpReply): unknown {
  return (reply.body["error"] as { code?: unknown } | undefined)?.code;
}
