/**
 * An ESC/POS receipt printer: decodes the host's bytes into receipts, answers DLE EOT and
 * GS r status requests, and sends Automatic Status Back (GS a) on every fault change.
 * Fault flags are reported; printing itself carries on (a real printer would hold the data).
 */
import { EventEmitter } from "node:events";
import { createEscPosDecoder } from "../protocols/escpos/escpos-decoder.js";
import type { PrinterCommand } from "../protocols/escpos/printer-commands.js";
import { applyPrinterCommand, initialReceiptBuilder, openReceipt, type Receipt, type ReceiptBuilderState } from "../protocols/escpos/receipt-builder.js";
import { automaticStatusBackBytes, NO_FAULTS, realTimeStatusByte, transmitStatusByte, type PrinterFaults } from "../protocols/escpos/printer-status.js";
import { receiptsKeptMax } from "../limits.js";
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

  receive(bytes: Buffer): void {
    const commands = this.decoder.push(bytes);
    for (const command of commands) this.apply(command);
    if (commands.length > 0) this.emit("changed");
  }

  onTransmit(listener: (bytes: Buffer) => void): () => void {
    this.on("transmit", listener);
    return () => this.off("transmit", listener);
  }

  /** Sets fault flags (paper, cover, offline, drawer); ASB hosts are told at once. */
  setFaults(change: Partial<PrinterFaults>): PrinterFaults {
    const next = { ...this.faults, ...change };
    const changed = (Object.keys(next) as (keyof PrinterFaults)[]).some((key) => next[key] !== this.faults[key]);
    this.faults = next;
    if (changed && this.automaticStatusBackMask !== 0) this.transmit(automaticStatusBackBytes(next));
    if (changed) this.emit("changed");
    return next;
  }

  snapshot(): PrinterSnapshot {
    return {
      receipts: this.receipts.slice(),
      printing: openReceipt(this.builder),
      faults: this.faults,
      drawerKicksTotal: this.drawerKicksTotal,
      malformedDrawerKicks: this.builder.malformedDrawerKicks,
      unknownCommands: this.builder.unknownCommands,
      automaticStatusBack: this.automaticStatusBackMask !== 0,
    };
  }

  private apply(command: PrinterCommand): void {
    this.answerStatus(command);
    if (command.type === "drawerKick") {
      this.drawerKicksTotal += 1;
      this.emit("drawerKick");
    }
    if (command.type === "drawerKickMalformed") this.emit("malformedDrawerKick", command.bytes);
    const result = applyPrinterCommand(this.builder, command);
    this.builder = result.state;
    if (result.kicksForPreviousReceipt !== undefined) this.addKicksToLastReceipt(result.kicksForPreviousReceipt);
    if (result.closedReceipt !== undefined) this.keep(result.closedReceipt);
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
