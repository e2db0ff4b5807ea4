/**
 * The printer's durable queue in the journal file (table print_jobs, schema in schema.ts), on the
 * journal's own connection: one owner of the file, one place its schema is written.
 */
import type Database from "better-sqlite3";
import { printJobsKeptMax } from "../core/limits.js";
import type { PrintContent, PrintJob, PrintQueueStore } from "../devices/print-queue.js";

export class JournalPrintQueue implements PrintQueueStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
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
}
