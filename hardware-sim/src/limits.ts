/** Every bound in the simulator, units last in each name. */

/** A command being assembled never grows past this: the decoder drops bytes and resyncs instead. */
export const frameBytesMax = 8192;
/**
 * A length-prefixed payload (raster image, US ( / GS ( function data) is skipped without
 * buffering; a declared length above this is treated as garbage and resynced instead.
 */
export const payloadSkipBytesMax = 1_048_576;
/** Device -> host bytes queued for a simulated port that nobody reads yet (a UART would overrun). */
export const receiveQueueBytesMax = 65_536;
/** Receipts kept by the printer emulator; older ones are dropped first. */
export const receiptsKeptMax = 200;
/** Lines in one receipt; a stream that never cuts starts dropping its oldest lines. */
export const receiptLinesMax = 1000;
/** QR payloads kept per receipt. */
export const receiptQrCodesMax = 16;
/** ESC D / GS k (format A) scan this far for their NUL terminator before giving up. */
export const nulTerminatedParameterBytesMax = 256;
/** Waiting for socat to create both pty links. */
export const socatStartTimeoutMs = 5000;
/** Waiting for socat to exit after SIGTERM before SIGKILL. */
export const socatStopTimeoutMs = 2000;
/** Serial transport: reopening a port that went away, from this delay doubling up to the max. */
export const serialReopenDelayMsMin = 200;
export const serialReopenDelayMsMax = 10_000;
/** Serial transport: how often a listening device checks that its port's device node is still there. */
export const serialPresenceCheckIntervalMs = 250;
/** Pacing: a paced chunk carries at most this many bytes, so screens fill progressively. */
export const pacedChunkBytesMax = 16;
/** Control API request bodies. */
export const controlRequestBodyBytesMax = 16_384;
/** Scenario: each step (code shown, claim, approve, approved, receipt) must finish within this. */
export const scenarioStepTimeoutMs = 15_000;
/** Scenario: how often it polls the display, the cashier API and the printer. */
export const scenarioPollIntervalMs = 50;
/** Phone: one HTTP request to the carrier gateway. */
export const phoneRequestTimeoutMs = 10_000;
/** Printer: commands held in the receive buffer while a fault stops printing (a real TM has 4 KB and raises BUSY). */
export const printerHeldCommandsMax = 4096;
