/**
 * Status bytes a printer sends back, from the Epson ESC/POS reference.
 * DLE EOT n answers one byte matching 0xx1xx10; Automatic Status Back (GS a n) sends four bytes,
 * the first matching 0xx1xx00, so a host can tell the two apart by bit pattern.
 */

export interface PrinterFaults {
  readonly paperNearEnd: boolean;
  readonly paperEnd: boolean;
  readonly coverOpen: boolean;
  /** Offline for another reason (e.g. the operator took it offline). */
  readonly offline: boolean;
  /** Drawer kick-out connector pin 3 (drawer open sensor). */
  readonly drawerOpen: boolean;
}

export const NO_FAULTS: PrinterFaults = { paperNearEnd: false, paperEnd: false, coverOpen: false, offline: false, drawerOpen: false };

/** Fixed bits of every DLE EOT answer: bit 1 and bit 4 set, bits 0 and 7 clear. */
const REAL_TIME_STATUS_FIXED = 0b0001_0010;

export function isOffline(faults: PrinterFaults): boolean {
  return faults.offline || faults.coverOpen || faults.paperEnd;
}

/** The byte a printer answers to DLE EOT n (n = 1..4). */
export function realTimeStatusByte(statusType: number, faults: PrinterFaults): number {
  let status = REAL_TIME_STATUS_FIXED;
  switch (statusType) {
    case 1: // printer status
      if (faults.drawerOpen) status |= 1 << 2;
      if (isOffline(faults)) status |= 1 << 3;
      break;
    case 2: // offline cause
      if (faults.coverOpen) status |= 1 << 2;
      if (faults.paperEnd) status |= 1 << 5;
      break;
    case 3: // error cause: the simulator has no cutter or mechanical errors
      break;
    case 4: // roll paper sensor
      if (faults.paperNearEnd) status |= 0b0000_1100;
      if (faults.paperEnd) status |= 0b0110_0000;
      break;
    default:
      break;
  }
  return status;
}

/** The four bytes of Automatic Status Back (GS a n), sent on enable and on every change. */
export function automaticStatusBackBytes(faults: PrinterFaults): Buffer {
  let first = 0b0001_0000; // 0xx1xx00
  if (faults.drawerOpen) first |= 1 << 2;
  if (isOffline(faults)) first |= 1 << 3;
  if (faults.coverOpen) first |= 1 << 5;
  let third = 0;
  if (faults.paperNearEnd) third |= 0b0000_0011;
  if (faults.paperEnd) third |= 0b0000_1100;
  return Buffer.from([first, 0, third, 0]);
}

/** GS r n: n = 1 paper sensor status, n = 2 drawer kick-out connector status. */
export function transmitStatusByte(statusType: number, faults: PrinterFaults): number {
  if (statusType === 1) return (faults.paperNearEnd ? 0b0011 : 0) | (faults.paperEnd ? 0b1100 : 0);
  if (statusType === 2) return faults.drawerOpen ? 1 : 0;
  return 0;
}
