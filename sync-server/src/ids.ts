import { randomUUID } from "node:crypto";

/** Server-made ids (transfers, accounts, results). UUIDs fit the protocol's ClientIdSchema. */
export function newId(): string {
  return randomUUID();
}
