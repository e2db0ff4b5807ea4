import { randomUUID } from "node:crypto";
import { timeOrderedUuid } from "@codepay/contract";

/**
 * Server-made ids (transfers, accounts, results): time-ordered UUIDs (contract's timeOrderedUuid), so
 * each new transfer, audit entry and outbox row lands on the last page of its primary-key index.
 */
export function newId(now: number = Date.now()): string {
  return timeOrderedUuid(randomUUID(), now);
}
