import { randomUUID } from "node:crypto";

/**
 * Server-made ids (transfers, accounts, results): UUID version 7 (RFC 9562), whose first 48 bits are
 * the Unix time in milliseconds. Ids made one after another sort together, so each new transfer,
 * audit entry and outbox row lands on the last page of its primary-key index instead of a random
 * one: a batch of payments dirties a few pages there, not one page per row (each dirty page is 4 KiB
 * written to the WAL and again by the checkpoint). UUIDs fit the protocol's ClientIdSchema.
 */
export function newId(now: number = Date.now()): string {
  return timeOrderedUuid(randomUUID(), now);
}

/** A version-4 UUID's random bits under a 48-bit millisecond timestamp, with the version nibble set to 7. */
export function timeOrderedUuid(random: string, now: number): string {
  const time = Math.trunc(now).toString(16).padStart(12, "0").slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
