import { randomUUID } from "node:crypto";

/** Client-made ids for requests and payments: UUIDs fit the protocol's ClientIdSchema (8-64 of A-Z a-z 0-9 _ -). */
export function newClientId(): string {
  return randomUUID();
}
