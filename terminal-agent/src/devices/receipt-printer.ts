/**
 * ESC/POS receipt printer driver. Receipts are built with node-thermal-printer (buildReceipt) and go
 * through a durable print queue: a receipt leaves the queue only when the printer reports it
 * printed, so paper end, an open cover, an offline printer or an unplug never lose one.
 *
 * Status (printer-status.ts): on every connection the driver enables Automatic Status Back (GS a)
 * and polls DLE EOT 1/2/4; replies are told apart by bit pattern. Each receipt ends with GS r 1,
 * which the printer answers only after printing what came before it: that reply is "printed".
 * A fault (paper end, cover open, offline) or an unplug while a receipt is out marks the attempt
 * interrupted; once the printer is ready again the receipt is printed in full, marked REPRINT.
 * A receipt asked for while the printer is faulted waits and prints as the original.
 * "Any attempt after the first" is counted in the durable queue before the bytes go out, so a
 * receipt the printer finished just before the agent died (its answer never read) comes out again
 * after the restart marked REPRINT, never as a silent duplicate; one the printer had reported
 * printed is not printed again.
 */
import type { Logger } from "pino";
import { printerStatusPollIntervalMs } from "../core/limits.js";
import { DRAWER_KICK } from "../protocols/escpos/drawer-kick.js";
import {
  ENABLE_AUTOMATIC_STATUS_BACK,
  STATUS_POLL,
  STATUS_POLL_TYPES,
  TRANSMIT_PAPER_STATUS,
  UNKNOWN_STATUS,
  applyReply,
  askedRealTime,
  decodeReplies,
  initialReplyDecoder,
  isFault,
  statusChanges,
} from "../protocols/escpos/printer-status.js";
import type { PrinterStatus, ReplyDecoderState } from "../protocols/escpos/printer-status.js";
import { buildReceipt } from "../protocols/escpos/receipt.js";
import type { ReceiptData } from "../protocols/escpos/receipt.js";
import type { ReceiptPrinter } from "./device.js";
import { MemoryPrintQueue, isDrawerKickContent, isRawPrintContent } from "./print-queue.js";
import type { PrintContent, PrintQueueStore } from "./print-queue.js";
import { PosDevice } from "./pos-device.js";
import type { Transport } from "./transport.js";

export interface EscPosPrinterOptions {
  /** Wire a cash drawer to the printer's drawer port (DK connector). */
  readonly drawer: boolean;
  /**
   * Read the printer's status (ASB, DLE EOT, GS r) and count a receipt printed only when the printer
   * says so. Default true. False for printers that never answer (some network printers): a receipt
   * then counts as printed once its bytes have drained.
   */
  readonly statusBack?: boolean | undefined;
  /** The durable queue (the journal's, journal/print-jobs.ts, in the agent); in memory by default. */
  readonly queue?: PrintQueueStore | undefined;
  readonly now?: (() => number) | undefined;
  /** Builds the bytes of one receipt (language, code page); buildReceipt by default. */
  readonly encode?: ((receipt: ReceiptData) => Buffer) | undefined;
  readonly pollIntervalMs?: number | undefined;
}

/** Before a reprint: reset, feed and cut, so a torn first attempt is cut off before REPRINT starts. */
const REPRINT_PREFIX = Buffer.from([0x1b, 0x40, 0x1b, 0x64, 0x03, 0x1d, 0x56, 0x01]);
/**
 * Heads a reprinted raw job (an X/Z report), whose bytes the driver does not build: centered (ESC a 1),
 * emphasized (ESC E 1) `*** REPRINT ***`, then left and normal again (the report sets its own modes).
 */
const RAW_REPRINT_HEADER = Buffer.concat([
  Buffer.from([0x1b, 0x61, 0x01, 0x1b, 0x45, 0x01]),
  Buffer.from("*** REPRINT ***\n", "ascii"),
  Buffer.from([0x1b, 0x45, 0x00, 0x1b, 0x61, 0x00]),
]);

/** Print job id of a drawer kick: this prefix and the paymentId. */
export const DRAWER_JOB_PREFIX = "drawer-";

interface Attempt {
  readonly jobId: string;
  readonly attempt: number;
  faulted: boolean;
}

export class EscPosReceiptPrinter extends PosDevice<never> implements ReceiptPrinter {
  readonly #queue: PrintQueueStore;
  readonly #statusBack: boolean;
  readonly #now: () => number;
  readonly #encode: (receipt: ReceiptData) => Buffer;
  #replies: ReplyDecoderState = initialReplyDecoder();
  #printerStatus: PrinterStatus = UNKNOWN_STATUS;
  #inFlight: Attempt | undefined;
  /** GS r markers written and not answered, oldest first. */
  #markers: Attempt[] = [];
  readonly #waiters = new Map<string, Array<() => void>>();
  #pollTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    transport: Transport,
    private readonly options: EscPosPrinterOptions,
    logger: Logger,
  ) {
    super("printer", transport, logger);
    this.#queue = options.queue ?? new MemoryPrintQueue();
    this.#statusBack = options.statusBack ?? true;
    this.#now = options.now ?? Date.now;
    this.#encode = options.encode ?? ((receipt) => buildReceipt(receipt));
  }

  /** What the printer last reported. */
  get printerStatus(): PrinterStatus {
    return this.#printerStatus;
  }

  /** Receipts waiting to be printed (or reprinted). */
  get pendingJobs(): number {
    return this.#queue.pending().length;
  }

  /**
   * Queues the receipt (idempotent on its paymentId) and resolves once the printer reports it printed.
   * A receipt the printer already reported printed resolves at once and is not printed again: after
   * a crash between the printer's answer and the journal's note of it, the restarted agent asks again.
   */
  print(receipt: ReceiptData): Promise<void> {
    return this.#enqueue(receipt.paymentId, receipt);
  }

  /**
   * A copy the cashier asked for (issue 17): the same receipt under `*** REPRINT ***`, as its own job
   * (`jobId`), so it never stands for the original and the original's job is left as it is.
   */
  printCopy(receipt: ReceiptData, jobId: string): Promise<void> {
    return this.#enqueue(jobId, { ...receipt, reprint: true });
  }

  /**
   * Prints bytes built elsewhere (an X/Z report) through the same durable queue as receipts: resolves
   * once the printer reports them printed; idempotent on jobId. A faulted attempt is printed again in
   * full (after a reset, feed and cut) under a `*** REPRINT ***` line; the bytes themselves are not
   * ours to change.
   */
  printRaw(bytes: Buffer, jobId: string): Promise<void> {
    return this.#enqueue(jobId, { rawBase64: bytes.toString("base64") });
  }

  #enqueue(jobId: string, content: PrintContent): Promise<void> {
    this.#queue.add(jobId, content, this.#now());
    if (this.#queue.isPrinted(jobId)) {
      this.logger.info({ jobId }, "already printed; not printed again");
      return Promise.resolve();
    }
    const printed = new Promise<void>((resolve) => this.#waiters.set(jobId, [...(this.#waiters.get(jobId) ?? []), resolve]));
    this.#pump();
    return printed;
  }

  /**
   * Queues the drawer kick (ESC p) of a payment in the durable print queue, behind its receipt, and
   * resolves once the kick has been written to a ready printer. A kick the printer could not take
   * (unplugged, paper end, cover open) waits there, across agent restarts, and happens once the
   * printer is back; idempotent on the paymentId, so it happens once. A no-op without a drawer.
   */
  kickDrawer(paymentId: string): Promise<void> {
    if (!this.options.drawer) return Promise.resolve();
    return this.#enqueue(`${DRAWER_JOB_PREFIX}${paymentId}`, { drawerKick: true });
  }

  override whenIdle(): Promise<void> {
    return this.#writing;
  }

  override async release(): Promise<void> {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    await super.release();
  }

  protected resetInput(): void {
    this.#replies = initialReplyDecoder();
    this.#markers = [];
    this.#printerStatus = this.#statusBack ? UNKNOWN_STATUS : { ...UNKNOWN_STATUS, known: true };
  }

  protected onReady(): void {
    if (this.#statusBack) {
      this.#write(ENABLE_AUTOMATIC_STATUS_BACK);
      this.#poll();
      clearInterval(this.#pollTimer);
      this.#pollTimer = setInterval(() => this.#poll(), this.options.pollIntervalMs ?? printerStatusPollIntervalMs);
      this.#pollTimer.unref();
    }
    this.#pump();
  }

  protected override onLost(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#interrupt("the line to the printer dropped");
  }

  protected receive(bytes: Buffer): void {
    const decoded = decodeReplies(this.#replies, bytes);
    this.#replies = decoded.state;
    for (const reply of decoded.replies) {
      if (reply.kind === "transmitStatus") this.#markerAnswered();
      const before = this.#printerStatus;
      this.#printerStatus = applyReply(before, reply);
      for (const change of statusChanges(before, this.#printerStatus)) {
        this.logger.info({ printerStatus: change }, `printer ${change}`);
        this.emit("status", { kind: "printer", status: change });
      }
      if (isFault(this.#printerStatus) && this.#inFlight && !this.#inFlight.faulted) {
        this.#inFlight.faulted = true;
        const message = interruptedMessage(this.#inFlight.jobId, describeFault(this.#printerStatus));
        this.logger.warn({ paymentId: this.#inFlight.jobId }, message);
        this.emit("error", { code: "PRINT_INTERRUPTED", message });
      }
    }
    this.#updateState();
    this.#pump();
  }

  #poll(): void {
    if (this.transport.status !== "online") return;
    this.#replies = askedRealTime(this.#replies, STATUS_POLL_TYPES);
    this.#write(STATUS_POLL);
  }

  #write(bytes: Buffer): Promise<void> {
    const written = this.transport.write(bytes);
    this.#writing = written.catch(() => undefined);
    written.catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, "printer write failed"));
    return written;
  }

  /** Starts the oldest waiting receipt when the printer is ready and nothing is out. */
  #pump(): void {
    if (this.#inFlight || !this.enabled || this.transport.status !== "online") return;
    if (!this.#printerStatus.known || isFault(this.#printerStatus)) return this.#updateState();
    const job = this.#queue.pending()[0];
    if (!job) return this.#updateState();
    const attempt: Attempt = { jobId: job.jobId, attempt: this.#queue.startAttempt(job.jobId, this.#now()), faulted: false };
    this.#inFlight = attempt;
    this.#updateState();
    const content = job.receipt;
    if (isDrawerKickContent(content)) return this.#kick(attempt);
    const reprint = attempt.attempt > 1;
    const receipt = isRawPrintContent(content)
      ? Buffer.concat([reprint ? RAW_REPRINT_HEADER : Buffer.alloc(0), Buffer.from(content.rawBase64, "base64")])
      : this.#encode({ ...content, reprint: reprint || content.reprint === true });
    const bytes = this.#statusBack
      ? Buffer.concat([reprint ? REPRINT_PREFIX : Buffer.alloc(0), receipt, ENABLE_AUTOMATIC_STATUS_BACK, TRANSMIT_PAPER_STATUS])
      : Buffer.concat([reprint ? REPRINT_PREFIX : Buffer.alloc(0), receipt]);
    if (this.#statusBack) this.#markers.push(attempt);
    this.logger.info({ paymentId: job.jobId, attempt: attempt.attempt, bytes: bytes.length }, reprint ? "reprinting receipt (REPRINT)" : "printing receipt");
    this.#write(bytes).then(
      () => {
        if (!this.#statusBack && this.#inFlight === attempt) this.#finish(attempt);
      },
      () => {
        if (this.#inFlight === attempt) this.#interrupt("the receipt could not be written");
      },
    );
  }

  /** ESC p takes no status answer: the kick is done once its bytes drained to a ready printer. */
  #kick(attempt: Attempt): void {
    this.#write(DRAWER_KICK).then(
      () => {
        if (this.#inFlight !== attempt) return;
        this.#inFlight = undefined;
        this.#queue.done(attempt.jobId, this.#now());
        this.logger.info({ jobId: attempt.jobId, attempt: attempt.attempt }, "cash drawer kicked");
        for (const resolve of this.#waiters.get(attempt.jobId) ?? []) resolve();
        this.#waiters.delete(attempt.jobId);
        this.#updateState();
        this.#pump();
      },
      () => {
        if (this.#inFlight === attempt) this.#interrupt("the drawer kick could not be written");
      },
    );
  }

  #markerAnswered(): void {
    const attempt = this.#markers.shift();
    if (attempt && attempt === this.#inFlight) this.#finish(attempt);
  }

  #finish(attempt: Attempt): void {
    this.#inFlight = undefined;
    if (attempt.faulted) {
      this.logger.info({ paymentId: attempt.jobId }, "interrupted receipt came out of the printer; reprinting it");
    } else {
      this.#queue.done(attempt.jobId, this.#now());
      this.logger.info({ paymentId: attempt.jobId, attempt: attempt.attempt }, "receipt printed");
      for (const resolve of this.#waiters.get(attempt.jobId) ?? []) resolve();
      this.#waiters.delete(attempt.jobId);
      this.emit("outputComplete", { outputId: attempt.jobId });
    }
    this.#updateState();
    this.#pump();
  }

  #interrupt(reason: string): void {
    const attempt = this.#inFlight;
    if (!attempt) return;
    this.#inFlight = undefined;
    this.#markers = [];
    const message = interruptedMessage(attempt.jobId, reason);
    this.logger.warn({ paymentId: attempt.jobId }, message);
    this.emit("error", { code: "PRINT_INTERRUPTED", message });
    this.#updateState();
  }

  #updateState(): void {
    if (this.state === "closed") return;
    if (isFault(this.#printerStatus)) this.setState("error");
    else this.setState(this.#inFlight ? "busy" : "idle");
  }
}

function interruptedMessage(jobId: string, reason: string): string {
  if (jobId.startsWith(DRAWER_JOB_PREFIX)) return `drawer kick ${jobId} held (${reason}); it is sent once the printer is ready`;
  return `receipt ${jobId} interrupted (${reason}); it will be reprinted in full`;
}

function describeFault(status: PrinterStatus): string {
  if (status.paperEnd) return "paper end";
  if (status.coverOpen) return "cover open";
  return "printer offline";
}
