/**
 * Idempotency for admin mutations (`--request-id`): the same id again returns the first result and
 * does nothing; the same id with a different request is IDEMPOTENCY_MISMATCH. Stored in the same
 * `idempotency` table (scope "admin") and transaction as the effect. Secrets a command shows once
 * (passwords, credentials, pairing codes) are not stored: a replay shows "[shown once]" instead.
 */
import type { Tx } from "../db/database.js";
import { claimIdempotencyKey, storeIdempotentResponse } from "../db/repositories/idempotency.js";
import { requestHash } from "../settlement/idempotent-transaction.js";
import { AdminError } from "./admin-error.js";

export const SHOWN_ONCE = "[shown once]";
const ADMIN_SCOPE = "admin";
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface AdminIdempotency {
  /** Absent: the command runs without a stored result (the CLI user did not ask for retries). */
  readonly requestId: string | undefined;
  readonly operation: string;
  readonly request: unknown;
  readonly now: number;
  /** Names of top-level (or agentConfig.register) fields that hold secrets. */
  readonly secrets?: readonly string[];
}

function redact(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, secrets.includes(key) ? SHOWN_ONCE : redact(inner, secrets)]));
}

export async function adminIdempotent<T>(tx: Tx, key: AdminIdempotency, work: () => Promise<T>): Promise<T> {
  if (key.requestId === undefined) return work();
  if (!REQUEST_ID.test(key.requestId)) throw new AdminError("BAD_REQUEST", "request id must be 1-64 characters of A-Z a-z 0-9 _ -");
  const hash = requestHash(key.operation, key.request);
  const previous = await claimIdempotencyKey(tx, { scope: ADMIN_SCOPE, requestId: key.requestId, requestHash: hash, createdAt: key.now });
  if (previous !== undefined) {
    if (previous.requestHash !== hash) throw new AdminError("IDEMPOTENCY_MISMATCH", `request id ${key.requestId} was used for a different ${key.operation}`);
    return JSON.parse(previous.responseJson) as T;
  }
  const result = await work();
  await storeIdempotentResponse(tx, ADMIN_SCOPE, key.requestId, JSON.stringify(redact(result, key.secrets ?? [])));
  return result;
}
