/**
 * One pseudo-terminal pair made by socat, a virtual null-modem cable:
 *   socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B
 * Bytes written to A are read from B and back. Stopping socat makes both ends' reads fail (EIO), as
 * an unplugged USB serial adapter's do.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { socatStartTimeoutMs, socatStopTimeoutMs } from "../limits.js";
import { findTool } from "../system-tools.js";

export interface SocatPair {
  readonly pid: number | undefined;
  /** SIGTERM (SIGKILL after socatStopTimeoutMs); resolves once socat has exited and removed its links. */
  stop(): Promise<void>;
}

export async function startSocatPair(linkA: string, linkB: string): Promise<SocatPair> {
  const socatPath = findTool("socat");
  if (socatPath === undefined) throw new Error("socat not installed; install with scripts/install-system-packages.sh");
  // A link left by a socat that was killed hard would look like a ready device.
  for (const path of [linkA, linkB]) rmSync(path, { force: true });
  const socat = spawn(socatPath, ["-d", "-d", `pty,raw,echo=0,link=${linkA}`, `pty,raw,echo=0,link=${linkB}`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  socat.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString("utf8");
  });
  try {
    await waitForLinks(socat, [linkA, linkB], () => stderr);
  } catch (error) {
    await stopProcess(socat);
    throw error;
  }
  return { pid: socat.pid, stop: () => stopProcess(socat) };
}

async function waitForLinks(socat: ChildProcess, paths: readonly string[], stderr: () => string): Promise<void> {
  const deadline = Date.now() + socatStartTimeoutMs;
  while (!paths.every((path) => existsSync(path))) {
    if (socat.exitCode !== null || socat.signalCode !== null) throw new Error(`socat exited early: ${stderr().trim()}`);
    if (Date.now() > deadline) throw new Error(`socat did not create ${paths.join(", ")} within ${socatStartTimeoutMs} ms`);
    await delay(10);
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), socatStopTimeoutMs);
  await exited;
  clearTimeout(timer);
}
