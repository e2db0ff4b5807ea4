/**
 * Which database failures are the world's, not a bug (issue 24): PostgreSQL gone (restart, failover,
 * kill, network) and a full disk under SQLite. Each becomes a specific, retryable refusal instead of
 * INTERNAL: SERVER_UNAVAILABLE or STORAGE_FULL, HTTP 503 with Retry-After. Pure: an error in, a
 * verdict out.
 *
 * A refused request changed nothing it can lose: its transaction rolled back, or (PostgreSQL gone
 * during COMMIT) it may have committed, and the retry with the same requestId finds that result
 * (every mutating request is idempotent, the database enforces it).
 */
import type { ErrorCode } from "@codepay/contract";
import { limits } from "../limits.js";

export type DatabaseFault = "unavailable" | "storage-full";

/** Thrown at once while PostgreSQL is known to be down, instead of trying a connection per request. */
export class DatabaseUnavailableError extends Error {
  readonly code = "DATABASE_UNAVAILABLE";
  constructor(message = "the database does not answer; retry shortly") {
    super(message);
    this.name = "DatabaseUnavailableError";
  }
}

/**
 * PostgreSQL SQLSTATEs that mean the connection or the server went away (not the statement):
 * class 08 connection exceptions; 57P01 admin shutdown (`pg_ctl stop/restart -m fast`), 57P02 crash
 * shutdown (another backend crashed), 57P03 cannot connect now (starting up, shutting down).
 */
const POSTGRES_GONE_STATES = new Set(["57P01", "57P02", "57P03"]);
/** Socket errors of a connection that could not be made or was cut. */
const SOCKET_GONE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** node-postgres (pg, pg-pool) says these in words only (no code). */
const PG_GONE_MESSAGES = [
  "Connection terminated",
  "connection error and is not queryable",
  "Client was closed and is not queryable",
  "timeout exceeded when trying to connect",
  "Connection terminated due to connection timeout",
];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The fault an error means, or undefined for anything else (a bug: INTERNAL). */
export function databaseFaultOf(error: unknown): DatabaseFault | undefined {
  if (error === null || typeof error !== "object") return undefined;
  if (error instanceof DatabaseUnavailableError) return "unavailable";
  const code = codeOf(error);
  // better-sqlite3: SQLITE_FULL (a write found no room: the WAL, the database file, a temp file);
  // node's fs: ENOSPC (e.g. growing the WAL index).
  if (code === "SQLITE_FULL" || code === "ENOSPC") return "storage-full";
  if (code !== undefined && (POSTGRES_GONE_STATES.has(code) || code.startsWith("08") || SOCKET_GONE_CODES.has(code))) return "unavailable";
  const message = (error as { message?: unknown }).message;
  if (typeof message === "string" && PG_GONE_MESSAGES.some((words) => message.includes(words))) return "unavailable";
  // Several addresses tried (node's happy eyeballs): an AggregateError of socket errors.
  if (error instanceof AggregateError && error.errors.length > 0 && error.errors.every((each) => databaseFaultOf(each) === "unavailable")) return "unavailable";
  return undefined;
}

export interface DatabaseRefusal {
  readonly code: Extract<ErrorCode, "SERVER_UNAVAILABLE" | "STORAGE_FULL">;
  readonly message: string;
  /** Whole seconds, for Retry-After on HTTP. */
  readonly retryAfterS: number;
}

/** The refusal a request gets for a database fault; undefined when the error is not one (INTERNAL). */
export function databaseRefusalFor(error: unknown): DatabaseRefusal | undefined {
  const fault = databaseFaultOf(error);
  if (fault === "unavailable") {
    return { code: "SERVER_UNAVAILABLE", message: "the database does not answer; nothing changed, retry with the same requestId", retryAfterS: limits.databaseRetryAfterS };
  }
  if (fault === "storage-full") {
    return { code: "STORAGE_FULL", message: "the server's disk is full; nothing changed, retry with the same requestId later", retryAfterS: limits.databaseRetryAfterS };
  }
  return undefined;
}

/**
 * PostgreSQL gave up on this transaction to break a deadlock (40P01) or a serialization conflict
 * (40001): nothing of it stayed, and running it again will most likely go through. Two instances'
 * batches can deadlock when they carry the same resent requests in opposite orders (their unique-key
 * inserts wait on each other); the batch runner runs such a request again instead of answering INTERNAL.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === "40P01" || code === "40001";
}
