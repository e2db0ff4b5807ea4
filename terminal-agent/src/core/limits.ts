/**
 * Every bound the agent keeps, in one place, with the unit last in the name (STYLE.md section 4).
 */

/** Pole display geometry: 2 lines of 20 cells (Epson DM-D and most VFD pole displays). */
export const displayColumns = 20;
export const displayRows = 2;

/** How long a final screen (APPROVED, DECLINED, ...) stays up before the idle screen returns. */
export const finalScreenHoldMs = 5_000;
/** How often the shell re-renders the display so the countdown moves (only changed cells are sent). */
export const displayRefreshIntervalMs = 250;

/** Serial / TCP device reconnect backoff. */
export const reconnectDelayMsMin = 200;
export const reconnectDelayMsMax = 10_000;
/** A device write that has not drained by then is treated as a dead line. */
export const deviceWriteTimeoutMs = 10_000;
/** Queued device writes while a device is slow; past this the oldest screen updates are dropped. */
export const deviceWriteQueueMax = 64;

/** A card-reader line longer than this is garbage (tracks are at most 79 + 40 + 107 chars): resync. */
export const cardLineBytesMax = 512;

/** MQTT link. */
export const mqttKeepaliveS = 30;
/**
 * Reconnect backoff with full jitter (core/reconnect-backoff.ts): the first retry waits a random
 * 0-500 ms, each later one a random time in a window twice as wide, up to 0-30 s.
 */
export const mqttReconnectDelayMsMin = 500;
export const mqttReconnectDelayMsMax = 30_000;
/**
 * ... but after a connect refused because nothing listened (ECONNREFUSED: the server is restarting),
 * up to 0-4 s: such a knock costs the server nothing (the kernel answers it), and 20,000 registers
 * knocking at random within 4 s are 5,000 refused SYNs a second; when it listens again they are back
 * within about 4 s plus its login queue, not spread over 30 s.
 */
export const mqttReconnectUnreachableDelayMsMax = 4_000;
/** A connection up this long starts the backoff over from the shortest window. */
export const mqttConnectionStableMs = 10_000;
export const mqttConnectTimeoutMs = 10_000;

/** How long a request waits for the server's reply before the outbox sends it again (same requestId). */
export const ackTimeoutMs = 5_000;
/** Cashier API: a void, refund or report request waits this long for the server's reply, then answers SERVER_TIMEOUT (the outbox keeps trying). */
export const serverReplyWaitMs = 10_000;
/** How often the outbox looks for unanswered requests. */
export const outboxRetryIntervalMs = 1_000;
/** Most outbox entries resent in one sweep, so a long outage does not flood the line. */
export const outboxResendBatchMax = 100;
/** Most in-flight payments asked about (`payment.status`) at start. */
export const journalEntriesMax = 10_000;

/** Cashier API. */
export const requestBodyBytesMax = 64 * 1024;
/** POST /v1/payments waits at most this long for the broker's PUBACK before answering 201 anyway (it is journaled). */
export const publishAckWaitMs = 2_000;
/**
 * Publishes whose PUBACK the runtime follows (POST /v1/payments waits on its create's). A stalled broker
 * or a refused reconnect leaves PUBACKs pending; past this the rest go untracked (the outbox still
 * resends them), so the map never outgrows it.
 */
export const sendsTrackedMax = 256;
export const sseClientsMax = 32;
export const sseHeartbeatIntervalMs = 15_000;
/** Most receipt lines a POS may send with one payment (the protocol allows 100). */
export const receiptLinesMax = 100;

/** Device layer. */
/** Printed receipts kept in the print queue table for support; unprinted ones are never dropped. */
export const printJobsKeptMax = 1_000;
/** How often the printer driver polls DLE EOT 1/2/4 (ASB reports changes at once; the poll is the safety net). */
export const printerStatusPollIntervalMs = 2_000;
/** A card swipe is complete when the line has been quiet this long (readers send a swipe in one burst). */
export const cardSwipeInterByteTimeoutMs = 100;
/** One swipe (both tracks, framing) is never longer than this: past it the assembler drops the swipe. */
export const cardSwipeBytesMax = 512;
/** Cardholder names held in memory for receipt greetings (swiped, receipt not yet queued). */
export const cardholderNamesHeldMax = 64;
/** Host-side marquee of a text longer than the display: one column per step. */
export const displayScrollStepMs = 400;
