/**
 * Debian's mosquitto as the shared broker, run from the config `codepay-server admin broker files`
 * wrote: a small wrapper config adds only what a throwaway run needs (no persistence, log to
 * stderr, stay root when started as root so the 0700 temporary directory stays readable) and
 * includes nothing else, so the listener, password file and ACL under test are the generated ones.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findTool } from "@codepay/hardware-sim";
import { waitForLoopbackPort } from "./loopback-port.js";

export interface MosquittoProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** What mosquitto wrote to stderr so far (its log). */
  log(): string;
  /** SIGHUP: mosquitto re-reads the password and ACL files. */
  reload(): void;
  stop(): Promise<void>;
}

/** `pidFile`: mosquitto writes its pid there (pid_file), as a packaged mosquitto does for `--broker-reload-pid-file`. */
export async function startMosquitto(generatedConfigFile: string, port: number, workDir: string, options: { pidFile?: string } = {}): Promise<MosquittoProcess> {
  const binary = findTool("mosquitto");
  if (binary === undefined) throw new Error("mosquitto not installed (scripts/install-system-packages.sh)");
  const wrapper = join(workDir, "mosquitto-run.conf");
  writeFileSync(wrapper, ["persistence false", "log_dest stderr", "log_type error", "log_type warning", "log_type notice", "user root", ...(options.pidFile !== undefined ? [`pid_file ${options.pidFile}`] : []), readFileSync(generatedConfigFile, "utf8")].join("\n"));
  const child = spawn(binary, ["-c", wrapper], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await Promise.race([waitForLoopbackPort(port), exited.then(() => Promise.reject(new Error(`mosquitto exited: ${log}`)))]);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    child,
    log: () => log,
    reload: () => child.kill("SIGHUP"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}
