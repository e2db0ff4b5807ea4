/**
 * Time-ordered ids (UUID version 7, RFC 9562): the first 48 bits are the Unix time in milliseconds,
 * so ids made one after another sort together. Keys made this way land on the last page of their
 * index instead of a random page each: a batch of inserts dirties a few pages, not one per row (each
 * dirty page is 4 KiB written to SQLite's WAL, and again at the checkpoint). Servers use them for
 * their own rows; registers and phones for the request ids the server keeps as idempotency keys.
 * They fit ClientIdSchema. timeOrderedUuid is pure: the random UUID and the time come in.
 */
export function timeOrderedUuid(randomUuid: string, now: number): string {
  const time = Math.trunc(now).toString(16).padStart(12, "0").slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUuid.slice(15)}`;
}

/** A time-ordered id made now (Web Crypto's randomUUID: the same in Node and in browsers). */
export function newTimeOrderedId(now: number = Date.now()): string {
  return timeOrderedUuid(globalThis.crypto.randomUUID(), now);
}
