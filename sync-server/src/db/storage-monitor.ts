/**
 * The disk under `serve`'s SQLite database (issue 24): a full disk used to look healthy while every
 * write answered INTERNAL. Two sources, one verdict:
 *   - the driver says a write failed with SQLITE_FULL and none has succeeded since: "full";
 *   - statfs of the data directory every `intervalMs`: fewer free bytes than `freeBytesWarnMin` is
 *     "low" (a warning before it happens: logged once per spell, on /health and in metrics).
 * "full" ends with the first write that succeeds, or when statfs finds at least `freeBytesWarnMin`
 * free again (space came back while no write was tried).
 */
import { statfs } from "node:fs/promises";
import type { Logger } from "../logger.js";

export type StorageState = "ok" | "low" | "full";

export interface StorageReport {
  readonly state: StorageState;
  /** Free bytes for an unprivileged writer on the data directory's filesystem at the last look; null before it or if statfs failed. */
  readonly freeBytes: number | null;
}

/** What the monitor needs of the SQLite driver (group-commit-sqlite-driver.ts). */
export interface StorageFullSource {
  readonly storageFull: boolean;
  noteSpaceAvailable(): void;
  observeStorageFull(observer: (error: unknown) => void): void;
}

export interface StorageMonitorOptions {
  readonly dataDir: string;
  readonly intervalMs: number;
  readonly freeBytesWarnMin: number;
  readonly logger: Logger;
}

export class StorageMonitor {
  #freeBytes: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #warnedLow = false;
  #loggedFull = false;
  #checking: Promise<void> | undefined;

  constructor(
    private readonly source: StorageFullSource,
    private readonly options: StorageMonitorOptions,
  ) {
    source.observeStorageFull((error) => {
      if (this.#loggedFull) return;
      this.#loggedFull = true;
      options.logger.error({ dataDir: options.dataDir, reason: error instanceof Error ? error.message : String(error) }, "the disk under the database is full: writes are refused with STORAGE_FULL until space is freed");
    });
  }

  async start(): Promise<void> {
    await this.check();
    this.#timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Reads the free space now (also every `intervalMs`). */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<void> {
    if (!this.source.storageFull) this.#loggedFull = false; // a write succeeded since: log the next spell again
    try {
      const stats = await statfs(this.options.dataDir);
      this.#freeBytes = stats.bavail * stats.bsize;
    } catch (error) {
      this.#freeBytes = null;
      this.options.logger.warn({ err: error, dataDir: this.options.dataDir }, "could not read the free space of the data directory");
      return;
    }
    const { logger, freeBytesWarnMin, dataDir } = this.options;
    if (this.#freeBytes < freeBytesWarnMin) {
      if (!this.#warnedLow) logger.warn({ dataDir, freeBytes: this.#freeBytes, freeBytesWarnMin }, "little free space left under the database: free some before writes are refused (STORAGE_FULL)");
      this.#warnedLow = true;
      return;
    }
    if (this.#warnedLow || this.source.storageFull) logger.info({ dataDir, freeBytes: this.#freeBytes }, "free space under the database is back above the warning threshold");
    this.#warnedLow = false;
    this.source.noteSpaceAvailable();
  }

  /** Reads the free space now, then reports (/health: a statfs per call is cheap). */
  async current(): Promise<StorageReport> {
    await this.check();
    return this.report();
  }

  /** As of the last look (metrics). */
  report(): StorageReport {
    if (this.source.storageFull) return { state: "full", freeBytes: this.#freeBytes };
    const low = this.#freeBytes !== null && this.#freeBytes < this.options.freeBytesWarnMin;
    return { state: low ? "low" : "ok", freeBytes: this.#freeBytes };
  }
}
