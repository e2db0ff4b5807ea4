import { randomUUID } from "node:crypto";
import { timeOrderedUuid } from "@codepay/contract";

/** An id as the agent makes request and payment ids, and the shopper page request ids: time-ordered (the server keeps them as keys). */
export function newRequestId(): string {
  return timeOrderedUuid(randomUUID(), Date.now());
}
