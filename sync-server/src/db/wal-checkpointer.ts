/**
 * Checkpoints the SQLite WAL on a worker thread, from its own connection, so the server's one
 * JavaScript thread stops doing it. SQLite's own auto-checkpoint runs inside the COMMIT that
 * crosses the threshold (1,000 frames by default): it copies pages back into the database file and
 * fsyncs it on the thread that serves every request. Profiled at 32 registers, COMMIT was the
 * largest single cost of a payment (issue 7).
 *
 * The worker runs `wal_checkpoint(PASSIVE)` every `intervalMs`: it never waits for readers or
 * writers, and the server goes on appending meanwhile. With synchronous=NORMAL the checkpoint syncs
 * the WAL before copying and the database file after, so it never makes anything less durable.
 * The server's connection keeps a far higher auto-checkpoint threshold as a backstop: while writes
 * keep arriving during every background checkpoint, the WAL would never start over from its
 * beginning; the backstop checkpoint runs between two writes and finds almost every frame already
 * copied, so it is short, and the WAL is then reused.
 *
 * The WAL file is reused, not shrunk, after a checkpoint: a long reader that held it open let it grow
 * (660 MB in issue 24) and it stayed that size. When every frame is copied and the file is larger
 * than `walBytesMax`, the worker runs `wal_checkpoint(TRUNCATE)`, which cuts it to zero bytes; it
 * does not wait for anyone (busy timeout 0): a reader or writer in the way means next time. The
 * server's connection keeps `journal_size_limit` too, which cuts the file back whenever the WAL
 * starts over.
 *
 * The worker's code is a string (eval), so it runs the same from the TypeScript sources under
 * vitest and from the build.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface CheckpointStats {
  /** Background checkpoints that copied at least one frame. */
  checkpoints: number;
  /** WAL frames copied into the database file by them. */
  checkpointFrames: number;
  /** TRUNCATE checkpoints that cut a WAL larger than its bound back to zero bytes. */
  walTruncations: number;
}

type WorkerMessage =
  | { readonly type: "checkpointed"; readonly frames: number }
  | { readonly type: "truncated" }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "stopped" };

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { statSync } = require("node:fs");
function walBytes() {
  try { return statSync(workerData.path + "-wal").size; } catch { return 0; }
}
function failed(error) {
  parentPort.postMessage({ type: "failed", message: String((error && error.message) || error) });
  parentPort.close();
}
function start(sqlite) {
  let copied = 0;
  let timer;
  function checkpoint() {
    const [row] = sqlite.pragma("wal_checkpoint(PASSIVE)");
    // Frames copied so far in this WAL; fewer than last time means it started over meanwhile.
    const frames = row.checkpointed >= copied ? row.checkpointed - copied : row.checkpointed;
    copied = row.checkpointed;
    if (frames > 0) parentPort.postMessage({ type: "checkpointed", frames });
    // Every frame copied (log == checkpointed, -1 when not in WAL mode) and the file past its bound: cut it.
    if (row.busy === 0 && row.log >= 0 && row.checkpointed === row.log && walBytes() > workerData.walBytesMax) {
      const [truncate] = sqlite.pragma("wal_checkpoint(TRUNCATE)");
      if (truncate.busy === 0) {
        copied = 0;
        parentPort.postMessage({ type: "truncated" });
      }
    }
  }
  function tick() {
    try {
      checkpoint();
      timer = setTimeout(tick, workerData.intervalMs);
    } catch (error) {
      sqlite.close();
      failed(error);
    }
  }
  parentPort.on("message", () => {
    clearTimeout(timer);
    try { checkpoint(); } catch {}
    sqlite.close();
    parentPort.postMessage({ type: "stopped" });
    parentPort.close();
  });
  timer = setTimeout(tick, workerData.intervalMs);
}
try {
  const Database = require(workerData.betterSqlite3);
  // timeout 0: the TRUNCATE checkpoint never waits for the server's reads or writes (PASSIVE never does).
  const sqlite = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
  sqlite.pragma("synchronous = NORMAL");
  start(sqlite);
} catch (error) {
  failed(error);
}
`;

export class BackgroundCheckpointer {
  readonly #worker: Worker;
  readonly #stopped: Promise<void>;

  /** `onFailure` runs once if the worker fails; the caller then checkpoints on its own thread again. */
  constructor(databasePath: string, bounds: { readonly intervalMs: number; readonly walBytesMax: number }, stats: CheckpointStats, onFailure: (error: Error) => void) {
    const betterSqlite3 = createRequire(import.meta.url).resolve("better-sqlite3");
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: databasePath, intervalMs: bounds.intervalMs, walBytesMax: bounds.walBytesMax, betterSqlite3 } });
    this.#worker.unref();
    let failed = false;
    const fail = (error: Error): void => {
      if (failed) return;
      failed = true;
      onFailure(error);
    };
    this.#stopped = new Promise<void>((resolve) => {
      this.#worker.on("message", (message: WorkerMessage) => {
        if (message.type === "checkpointed") {
          stats.checkpoints += 1;
          stats.checkpointFrames += message.frames;
        } else if (message.type === "truncated") stats.walTruncations += 1;
        else if (message.type === "failed") fail(new Error(`background WAL checkpoint failed: ${message.message}`));
      });
      this.#worker.on("error", (error) => fail(error));
      this.#worker.on("exit", () => resolve());
    });
  }

  /** Runs a last checkpoint and closes the worker's connection. */
  async stop(): Promise<void> {
    this.#worker.ref(); // unref'd while it runs, so it never holds a process open; not while it stops
    this.#worker.postMessage("stop");
    await this.#stopped;
  }
}
