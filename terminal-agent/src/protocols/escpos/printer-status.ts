/**
 * What an ESC/POS printer sends back, demultiplexed by bit pattern (Epson ESC/POS reference). Pure.
 *   DLE EOT n (10 04 n)  real-time status: one byte 0xx1xx10, answered at once, even offline.
 *                        The byte does not say which n it answers: replies come in request order.
 *   GS a n    (1D 61 n)  Automatic Status Back: four bytes on every change, the first 0xx1xx00,
 *                        the other three 0xx0xxxx.
 *   GS r n    (1D 72 n)  transmit status: one byte 0xx0xxxx, processed IN ORDER with the print data,
 *                        so its reply means everything sent before it has been printed. The driver
 *                        ends every receipt with GS r 1 and treats the reply as "printed".
 */

export const DLE_EOT = (statusType: 1 | 2 | 3 | 4): Buffer => Buffer.from([0x10, 0x04, statusType]);
/** GS a n, n = 0x0F: report drawer, on/offline, errors and the paper sensors. */
export const ENABLE_AUTOMATIC_STATUS_BACK = Buffer.from([0x1d, 0x61, 0x0f]);
/** GS r 1: paper sensor status, answered after the data before it has been processed. */
export const TRANSMIT_PAPER_STATUS = Buffer.from([0x1d, 0x72, 0x01]);
/** The poll: printer status, offline cause, paper sensor. */
export const STATUS_POLL = Buffer.concat([DLE_EOT(1), DLE_EOT(2), DLE_EOT(4)]);
export const STATUS_POLL_TYPES: readonly (1 | 2 | 4)[] = [1, 2, 4];

export type PrinterReply =
  | { readonly kind: "realTime"; readonly statusType: number | undefined; readonly byte: number }
  | { readonly kind: "automaticStatusBack"; readonly bytes: readonly [number, number, number, number] }
  | { readonly kind: "transmitStatus"; readonly byte: number }
  | { readonly kind: "unknown"; readonly byte: number };

export interface ReplyDecoderState {
  /** ASB bytes collected so far (1-3), or empty. */
  readonly automaticStatusBack: readonly number[];
  /** DLE EOT types asked and not answered yet, oldest first. */
  readonly realTimeAsked: readonly number[];
}

export const realTimeAskedMax = 32;

export function initialReplyDecoder(): ReplyDecoderState {
  return { automaticStatusBack: [], realTimeAsked: [] };
}

/** Note DLE EOT requests as they are written, so each reply byte is matched to its n. */
export function askedRealTime(state: ReplyDecoderState, types: readonly number[]): ReplyDecoderState {
  return { ...state, realTimeAsked: [...state.realTimeAsked, ...types].slice(-realTimeAskedMax) };
}

const isRealTimeReply = (byte: number): boolean => (byte & 0b1001_0011) === 0b0001_0010; // 0xx1xx10
const isAutomaticStatusBackStart = (byte: number): boolean => (byte & 0b1001_0011) === 0b0001_0000; // 0xx1xx00
const isZeroBit4And7 = (byte: number): boolean => (byte & 0b1001_0000) === 0; // 0xx0xxxx

export function decodeReplies(state: ReplyDecoderState, bytes: Uint8Array): { state: ReplyDecoderState; replies: PrinterReply[] } {
  let asb = [...state.automaticStatusBack];
  const asked = [...state.realTimeAsked];
  const replies: PrinterReply[] = [];
  for (const byte of bytes) {
    // A byte with bit 4 set can never continue an ASB block: a real-time reply may come between.
    if (asb.length > 0 && isZeroBit4And7(byte)) {
      asb.push(byte);
      if (asb.length === 4) {
        replies.push({ kind: "automaticStatusBack", bytes: [asb[0]!, asb[1]!, asb[2]!, asb[3]!] });
        asb = [];
      }
      continue;
    }
    if (asb.length > 0 && isRealTimeReply(byte)) {
      replies.push({ kind: "realTime", statusType: asked.shift(), byte });
      continue;
    }
    if (asb.length > 0) {
      replies.push({ kind: "unknown", byte: asb[0]! }); // a truncated ASB block
      asb = [];
    }
    if (isRealTimeReply(byte)) replies.push({ kind: "realTime", statusType: asked.shift(), byte });
    else if (isAutomaticStatusBackStart(byte)) asb = [byte];
    else if (isZeroBit4And7(byte)) replies.push({ kind: "transmitStatus", byte });
    else replies.push({ kind: "unknown", byte });
  }
  return { state: { automaticStatusBack: asb, realTimeAsked: asked }, replies };
}

export interface PrinterStatus {
  /** Nothing heard since the line opened: the printer's state is unknown. */
  readonly known: boolean;
  readonly offline: boolean;
  readonly coverOpen: boolean;
  readonly paperEnd: boolean;
  readonly paperNearEnd: boolean;
}

export const UNKNOWN_STATUS: PrinterStatus = { known: false, offline: false, coverOpen: false, paperEnd: false, paperNearEnd: false };

/** A fault stops printing: the printer holds the data and prints nothing until it clears. */
export function isFault(status: PrinterStatus): boolean {
  return status.offline || status.coverOpen || status.paperEnd;
}

export function applyReply(status: PrinterStatus, reply: PrinterReply): PrinterStatus {
  switch (reply.kind) {
    case "automaticStatusBack": {
      const [first, , third] = reply.bytes;
      return {
        known: true,
        offline: (first & 0x08) !== 0, // byte 1 bit 3
        coverOpen: (first & 0x20) !== 0, // byte 1 bit 5
        paperNearEnd: (third & 0x03) !== 0, // byte 3 bits 0-1
        paperEnd: (third & 0x0c) !== 0, // byte 3 bits 2-3
      };
    }
    case "realTime":
      return applyRealTime(status, reply.statusType, reply.byte);
    case "transmitStatus": // GS r 1: paper sensor
      return { ...status, known: true, paperNearEnd: (reply.byte & 0x03) !== 0, paperEnd: (reply.byte & 0x0c) !== 0 };
    case "unknown":
      return status;
  }
}

function applyRealTime(status: PrinterStatus, statusType: number | undefined, byte: number): PrinterStatus {
  switch (statusType) {
    case 1: // printer status: bit 3 offline
      return { ...status, known: true, offline: (byte & 0x08) !== 0 };
    case 2: // offline cause: bit 2 cover open, bit 5 stopped by paper end
      return { ...status, known: true, coverOpen: (byte & 0x04) !== 0, paperEnd: (byte & 0x20) !== 0 };
    case 4: // roll paper sensor: bits 2-3 near end, bits 5-6 end
      return { ...status, known: true, paperNearEnd: (byte & 0x0c) !== 0, paperEnd: (byte & 0x60) !== 0 };
    default:
      return status;
  }
}

export type PrinterStatusChange = "paperNearEnd" | "paperEnd" | "coverOpen" | "offline" | "paperOk" | "coverClosed" | "online";

/** The status events between two statuses, in a fixed order. */
export function statusChanges(before: PrinterStatus, after: PrinterStatus): PrinterStatusChange[] {
  const changes: PrinterStatusChange[] = [];
  if (after.paperEnd !== before.paperEnd) changes.push(after.paperEnd ? "paperEnd" : "paperOk");
  else if (after.paperNearEnd !== before.paperNearEnd) changes.push(after.paperNearEnd ? "paperNearEnd" : "paperOk");
  if (after.coverOpen !== before.coverOpen) changes.push(after.coverOpen ? "coverOpen" : "coverClosed");
  if (after.offline !== before.offline) changes.push(after.offline ? "offline" : "online");
  return changes;
}
