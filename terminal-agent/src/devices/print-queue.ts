/**
 * The printer's durable queue: a receipt stays here from the moment it is asked for until the
 * printer reports it printed, across faults, unplugs and agent restarts (no receipt is lost).
 * Kept in the journal's SQLite file (WAL allows a second connection), in a table of its own.
 * `attempts` is counted before the bytes go out: any attempt after the first prints REPRINT.
 * Holds receipt contents only (last 4 card digits at most, never a PAN; the cardholder's name only
 * when the store greets by name), the ready bytes of a raw job (an X/Z report) as base64, or a
 * drawer kick (so a kick the printer missed while unplugged happens once it is back).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { printJobsKeptMax } from "../core/limits.js";
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
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS print_jobs (
  job_id    TEXT PRIMARY KEY,
  receipt   TEXT NOT NULL,
  attempts  INTEGER NOT NULL DEFAULT 0,
  created   INTEGER NOT NULL,
  printed   INTEGER
);
CREATE INDEX IF NOT EXISTS print_jobs_pending ON print_jobs (printed, created);`;

export class SqlitePrintQueue implements PrintQueueStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(file: string): SqlitePrintQueue {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    db.exec(SCHEMA);
    return new SqlitePrintQueue(db);
  }

  add(jobId: string, receipt: PrintContent, now: number): void {
    this.#db.prepare(`INSERT INTO print_jobs (job_id, receipt, created) VALUES (?, ?, ?) ON CONFLICT (job_id) DO NOTHING`).run(jobId, JSON.stringify(receipt), now);
  }

  pending(): PrintJob[] {
    const rows = this.#db.prepare(`SELECT job_id, receipt, attempts FROM print_jobs WHERE printed IS NULL ORDER BY created LIMIT ?`).all(printJobsKeptMax) as Array<{
      job_id: string;
      receipt: string;
      attempts: number;
    }>;
    return rows.map((row) => ({ jobId: row.job_id, receipt: JSON.parse(row.receipt) as PrintContent, attempts: row.attempts }));
  }

  isPrinted(jobId: string): boolean {
    const row = this.#db.prepare(`SELECT printed FROM print_jobs WHERE job_id = ?`).get(jobId) as { printed: number | null } | undefined;
    return row !== undefined && row.printed !== null;
  }

  startAttempt(jobId: string): number {
    const row = this.#db.prepare(`UPDATE print_jobs SET attempts = attempts + 1 WHERE job_id = ? RETURNING attempts`).get(jobId) as { attempts: number } | undefined;
    return row?.attempts ?? 1;
  }

  done(jobId: string, now: number): void {
    this.#db.transaction(() => {
      this.#db.prepare(`UPDATE print_jobs SET printed = ? WHERE job_id = ? AND printed IS NULL`).run(now, jobId);
      // Printed jobs are history: keep the newest few for support, drop the rest.
      this.#db
        .prepare(`DELETE FROM print_jobs WHERE printed IS NOT NULL AND job_id NOT IN (SELECT job_id FROM print_jobs WHERE printed IS NOT NULL ORDER BY printed DESC LIMIT ?)`)
        .run(printJobsKeptMax);
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
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
  close(): void {}
}
