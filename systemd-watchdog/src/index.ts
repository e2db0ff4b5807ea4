/**
 * systemd's watchdog (WatchdogSec=) for a Node process. Node has no unix datagram sockets, so the
 * ping goes through the `systemd-notify` binary: `systemd-notify --pid=<our pid> WATCHDOG=1` every
 * half watchdog period while the event loop turns and `healthy()` says so. A wedged event loop (or an
 * unhealthy process) stops the pings and systemd restarts the service (Restart=always). The unit
 * needs NotifyAccess=all, because the datagram comes from the systemd-notify child. Does nothing
 * outside systemd (no NOTIFY_SOCKET / WATCHDOG_USEC) or without the binary.
 * Its own package (no dependencies) because the server and the register agent both run under systemd,
 * and the agent must not depend on the server to get it.
 */
import { spawn, spawnSync } from "node:child_process";

export interface WatchdogHandle {
  stop(): void;
}

export function startSystemdWatchdog(healthy: () => boolean | Promise<boolean>, env: NodeJS.ProcessEnv = process.env): WatchdogHandle {
  const periodUs = Number(env["WATCHDOG_USEC"]);
  if (env["NOTIFY_SOCKET"] === undefined || !Number.isFinite(periodUs) || periodUs <= 0) return { stop: () => undefined };
  if (spawnSync("systemd-notify", ["--version"], { stdio: "ignore" }).status !== 0) return { stop: () => undefined };
  const timer = setInterval(() => {
    void Promise.resolve(healthy()).then(
      (ok) => {
        if (ok) spawn("systemd-notify", [`--pid=${process.pid}`, "WATCHDOG=1"], { stdio: "ignore" }).on("error", () => undefined);
      },
      () => undefined,
    );
  }, Math.max(1_000, Math.floor(periodUs / 1_000 / 2)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
