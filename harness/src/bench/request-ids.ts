import { randomUUID } from "node:crypto";
import { timeOrderedUuid } from "@codepay/contract";

/** A request id as the agent and the shopper page make them: time-ordered (the server keeps it as an idempotency key). */
export function newRequestId(): string {
  return timeOrderedUuid(randomUUID(), Date.now());
}
