/**
 * An ESC/POS receipt printer: decodes the host's bytes into receipts, answers DLE EOT and
 * GS r status requests, and sends Automatic Status Back (GS a) on every fault change.
 *
 * Faults behave as on an Epson TM: while the paper is out, the cover open or the printer offline,
 * nothing prints. Real-time commands (DLE EOT, DLE DC4, DLE ENQ) are still answered at once; every
 * other command is HELD in the receive buffer (at most printerHeldCommandsMax; a real printer would
 * raise BUSY, the simulator counts the overrun) and printed when the fault clears. Paper end tears
 * the paper: what was printed of an open receipt comes out as a fragment (`cut: false, torn: true`)
 * and the rest prints on the new roll. An open cover leaves the paper in place, so a receipt
 * interrupted by it continues where it stopped. `paperEndAfterLines: n` runs out of paper after n
 * more printed lines, to interrupt a receipt mid-way. ESC @ turns ASB off (GS a is reset by ESC @).
 */
import { EventEmitter } from "node:events";
import { createEscPosDecoder } from "../protocols/escpos/escpos-decoder.js";
import type { PrinterCommand } from "../protocols/escpos/printer-commands.js";
import { applyPrinterCommand, initialReceiptBuilder, openReceipt, type Receipt, type ReceiptBuilderState } from "../protocols/escpos/receipt-builder.js";
import { automaticStatusBackBytes, isOffline, NO_FAULTS, realTimeStatusByte, transmitStatusByte, type PrinterFaults } from "../protocols/escpos/printer-status.js";
import { printerHeldCommandsMax, receiptsKeptMax } from "../limits.js";
import type { DeviceEmulator } from "./device-emulator.js";

/** What GET /api/printer returns. */
export interface PrinterSnapshot {
  readonly receipts: readonly Receipt[];
  /** The receipt being printed now, not cut yet. */
  readonly printing: Receipt | undefined;
  readonly faults: PrinterFaults;
  readonly drawerKicksTotal: number;
  readonly malformedDrawerKicks: number;
  readonly unknownCommands: number;
  readonly automaticStatusBack: boolean;
  /** Commands waiting in the receive buffer while a fault stops printing. */
  readonly heldCommands: number;
  readonly heldOverrunCommands: number;
}

interface ReceiptPrinterEvents {
  receipt: [Receipt];
  changed: [];
  drawerKick: [];
  malformedDrawerKick: [Buffer];
  transmit: [Buffer];
}

export class ReceiptPrinterEmulator extends EventEmitter<ReceiptPrinterEvents> implements DeviceEmulator {
  readonly key = "printer" as const;
  private readonly decoder = createEscPosDecoder();
  private builder: ReceiptBuilderState = initialReceiptBuilder();
  private readonly receipts: Receipt[] = [];
  private faults: PrinterFaults = NO_FAULTS;
  private automaticStatusBackMask = 0;
  private drawerKicksTotal = 0;
  private readonly held: PrinterCommand[] = [];
  private heldOverrunCommands = 0;
  /** Lines left on the roll (paperEndAfterLines), or undefined for an endless roll. */
  private linesLeft: number | undefined;

  receive(bytes: Buffer): void {
    const commands = this.decoder.push(bytes);
    for (const command of commands) {
      if (isRealTime(command)) this.apply(command);
      else if (this.held.length > 0 || isOffline(this.faults)) this.hold(command);
      else this.apply(command);
    }
    if (commands.length > 0) this.emit("changed");
  }

  onTransmit(listener: (bytes: Buffer) => void): () => void {
    this.on("transmit", listener);
    return () => this.off("transmit", listener);
  }

  /**
   * Sets fault flags (paper, cover, offline, drawer); ASB hosts are told at once. When the last fault
   * clears, the held commands print. `paperEndAfterLines` arms the roll to run out later.
   */
  setFaults(change: Partial<PrinterFaults> & { readonly paperEndAfterLines?: number | undefined }): PrinterFaults {
    const { paperEndAfterLines, ...given } = change;
    if (paperEndAfterLines !== undefined) this.linesLeft = paperEndAfterLines;
    // A new roll: paper end cleared means the near-end sensor clears too, unless told otherwise.
    const flags = given.paperEnd === false ? { paperNearEnd: false, ...given } : given;
    if (given.paperEnd === false) this.linesLeft = undefined;
    const next = { ...this.faults, ...flags };
    const changed = (Object.keys(next) as (keyof PrinterFaults)[]).some((key) => next[key] !== this.faults[key]);
    const wasOffline = isOffline(this.faults);
    if (next.paperEnd && !this.faults.paperEnd) this.tearOff();
    this.faults = next;
    if (changed && this.automaticStatusBackMask !== 0) this.transmit(automaticStatusBackBytes(next));
    if (wasOffline && !isOffline(next)) this.printHeld();
    if (changed) this.emit("changed");
    return next;
  }

  snapshot(): PrinterSnapshot {
    return {
      heldCommands: this.held.length,
      heldOverrunCommands: this.heldOverrunCommands,
      receipts: this.receipts.slice(),
      printing: openReceipt(this.builder),
      faults: this.faults,
      drawerKicksTotal: this.drawerKicksTotal,
      malformedDrawerKicks: this.builder.malformedDrawerKicks,
      unknownCommands: this.builder.unknownCommands,
      automaticStatusBack: this.automaticStatusBackMask !== 0,
    };
  }

  private hold(command: PrinterCommand): void {
    if (this.held.length >= printerHeldCommandsMax) {
      this.heldOverrunCommands += 1;
      return;
    }
    this.held.push(command);
  }

  private printHeld(): void {
    while (this.held.length > 0 && !isOffline(this.faults)) this.apply(this.held.shift()!);
  }

  /** Paper end: the printed part of an open receipt leaves the printer as a torn fragment. */
  private tearOff(): void {
    const open = openReceipt(this.builder);
    if (open === undefined) return;
    this.builder = { ...this.builder, line: undefined, lines: [], qr: [], drawerKicks: 0 };
    this.keep({ ...open, torn: true });
  }

  private apply(command: PrinterCommand): void {
    if (command.type === "initialize") this.automaticStatusBackMask = 0; // ESC @ resets GS a
    this.answerStatus(command);
    if (command.type === "drawerKick") {
      this.drawerKicksTotal += 1;
      this.emit("drawerKick");
    }
    if (command.type === "drawerKickMalformed") this.emit("malformedDrawerKick", command.bytes);
    const linesBefore = this.builder.lines.length;
    const result = applyPrinterCommand(this.builder, command);
    this.builder = result.state;
    if (result.kicksForPreviousReceipt !== undefined) this.addKicksToLastReceipt(result.kicksForPreviousReceipt);
    if (result.closedReceipt !== undefined) this.keep(result.closedReceipt);
    this.useRoll(result.closedReceipt !== undefined ? 1 : this.builder.lines.length - linesBefore);
  }

  private useRoll(lines: number): void {
    if (this.linesLeft === undefined || lines <= 0) return;
    this.linesLeft = Math.max(0, this.linesLeft - lines);
    if (this.linesLeft === 0) this.setFaults({ paperEnd: true, paperNearEnd: true });
  }

  /** DLE EOT n, GS a n and GS r n all make the printer talk back. */
  private answerStatus(command: PrinterCommand): void {
    if (command.type === "statusRequest") this.transmit(Buffer.from([realTimeStatusByte(command.statusType, this.faults)]));
    if (command.type === "transmitStatus") this.transmit(Buffer.from([transmitStatusByte(command.statusType, this.faults)]));
    if (command.type === "automaticStatusBack") {
      this.automaticStatusBackMask = command.enableMask;
      if (command.enableMask !== 0) this.transmit(automaticStatusBackBytes(this.faults)); // first ASB right after enabling
    }
  }

  private addKicksToLastReceipt(kicks: number): void {
    const last = this.receipts.at(-1);
    if (last === undefined) return;
    const updated = { ...last, drawerKicks: last.drawerKicks + kicks };
    this.receipts[this.receipts.length - 1] = updated;
  }

  private keep(receipt: Receipt): void {
    if (this.receipts.length >= receiptsKeptMax) this.receipts.shift();
    this.receipts.push(receipt);
    this.emit("receipt", receipt);
  }

  private transmit(bytes: Buffer): void {
    this.emit("transmit", bytes);
  }
}

/** DLE commands are executed on receipt, even offline (Epson: "real-time commands"). */
function isRealTime(command: PrinterCommand): boolean {
  return command.type === "statusRequest";
}
