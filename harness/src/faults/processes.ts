/**
 * Real processes for the fault suite, spawned as `npm start` spawns them (scripts/start.js): each
 * prints one JSON line when ready; logs go to files in the run directory. `kill9()` is SIGKILL,
 * `stop()` is SIGTERM and waits for the exit code (a clean shutdown exits 0).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const repositoryRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
export const serverBin = join(repositoryRoot, "sync-server/bin/codepay-server.js");
export const agentBin = join(repositoryRoot, "terminal-agent/bin/codepay-agent.js");
export const simBin = join(repositoryRoot, "hardware-sim/bin/codepay-sim.js");

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;


export class ManagedProcess {
  child: ChildProcess | undefined;
  ready: Record<string, unknown> | undefined;
  starts = 0;
  kills = 0;
  /** Exit codes of SIGTERM stops (0 = clean). */
  readonly stopCodes: (number | null)[] = [];

  constructor(
    readonly name: string,
    private readonly args: readonly string[],
    private readonly readyEvent: string,
    private readonly logFile: string,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<Record<string, unknown>> {
    const log = createWriteStream(this.logFile, { flags: "a" });
    log.write(`--- start ${this.starts + 1} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [...this.args], {
      env: { ...process.env, UV_USE_IO_URING: "0", CODEPAY_LOG_LEVEL: "info", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.starts += 1;
    child.stderr?.pipe(log, { end: false });
    const ready = await new Promise<Record<string, unknown>>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} not ready after ${READY_TIMEOUT_MS} ms (see ${this.logFile})`)), READY_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on("line", (line) => {
        log.write(`[stdout] ${line}\n`);
        if (!line.includes(`"${this.readyEvent}"`)) return;
        clearTimeout(timer);
        resolvePromise(JSON.parse(line) as Record<string, unknown>);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}) before ready (see ${this.logFile})`));
      });
    });
    this.ready = ready;
    return ready;
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    this.kills += 1;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<number | null> {
    const child = this.child;
    if (child === undefined || !this.running) return null;
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    this.stopCodes.push(code);
    return code;
  }
}
