/**
 * The printer's durable queue, as the printer driver sees it: a receipt stays queued from the moment it
 * is asked for until the printer reports it printed, across faults, unplugs and agent restarts (no
 * receipt is lost). The agent keeps it in its journal (journal/print-jobs.ts, on the journal's
 * connection); `MemoryPrintQueue` below serves agents without one. `attempts` is counted before the
 * bytes go out: any attempt after the first prints REPRINT. Holds receipt contents only (last 4 card
 * digits at most, never a PAN; the cardholder's name only when the store greets by name), the ready
 * bytes of a raw job (an X/Z report) as base64, or a drawer kick (so a kick the printer missed while
 * unplugged happens once it is back).
 */
import type { ReceiptData } from "../protocols/escpos/receipt.js";

/** Bytes built elsewhere (reports), printed as they are. */
export interface RawPrintContent {
  readonly rawBase64: string;
}

/** A cash drawer kick (ESC p) queued with its payment's receipt: done once its bytes reached a ready printer. */
export interface DrawerKickContent {
  readonly drawerKick: true;
}

/** What a print job holds: a receipt to encode, raw bytes, or a drawer kick. */
export type PrintContent = ReceiptData | RawPrintContent | DrawerKickContent;

export function isRawPrintContent(content: PrintContent): content is RawPrintContent {
  return typeof (content as Partial<RawPrintContent>).rawBase64 === "string";
}

export function isDrawerKickContent(content: PrintContent): content is DrawerKickContent {
  return (content as Partial<DrawerKickContent>).drawerKick === true;
}

export interface PrintJob {
  readonly jobId: string;
  readonly receipt: PrintContent;
  readonly attempts: number;
}

export interface PrintQueueStore {
  /** Idempotent on jobId. */
  add(jobId: string, receipt: PrintContent, now: number): void;
  /** Jobs not printed yet, oldest first. */
  pending(): PrintJob[];
  /** True when the printer has reported this job printed (kept for printJobsKeptMax printed jobs). */
  isPrinted(jobId: string): boolean;
  /** Counts an attempt before its bytes are written; returns the attempt number (1 = original). */
  startAttempt(jobId: string, now: number): number;
  done(jobId: string, now: number): void;
}

/** For tests and agents without a journal file: the same contract, lost on restart. */
export class MemoryPrintQueue implements PrintQueueStore {
  readonly #jobs = new Map<string, { receipt: PrintContent; attempts: number; printed: boolean }>();

  add(jobId: string, receipt: PrintContent): void {
    if (!this.#jobs.has(jobId)) this.#jobs.set(jobId, { receipt, attempts: 0, printed: false });
  }
  pending(): PrintJob[] {
    return [...this.#jobs.entries()].filter(([, job]) => !job.printed).map(([jobId, job]) => ({ jobId, receipt: job.receipt, attempts: job.attempts }));
  }
  isPrinted(jobId: string): boolean {
    return this.#jobs.get(jobId)?.printed ?? false;
  }
  startAttempt(jobId: string): number {
    const job = this.#jobs.get(jobId);
    if (!job) return 1;
    job.attempts++;
    return job.attempts;
  }
  done(jobId: string): void {
    const job = this.#jobs.get(jobId);
    if (job) job.printed = true;
  }
}
