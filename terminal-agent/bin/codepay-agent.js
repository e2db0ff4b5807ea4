#!/usr/bin/env node
// libuv decides on io_uring when the event loop starts, before any JavaScript runs, and with it
// Node 20 can fail to reopen a serial port after an unplug ("Cannot lock port"). So the agent always
// runs with UV_USE_IO_URING=0: when it is not set, run this same command once more with it set.
import { spawn } from "node:child_process";
import { constants } from "node:os";

if (process.env.UV_USE_IO_URING === "0") {
  // Memory over peak speed (issue 7: idle under 60 MB): a register runs a few payments a minute, so
  // V8's optimizing compiler (TurboFan) buys nothing but its code and feedback memory, and
  // optimize-for-size makes the heap lean. Set before any agent code is loaded; measured with
  // `npm run bench:agent` (README, Performance). CODEPAY_AGENT_V8_SPEED=1 keeps V8's defaults.
  if (process.env.CODEPAY_AGENT_V8_SPEED !== "1") {
    const { setFlagsFromString } = await import("node:v8");
    setFlagsFromString("--no-opt");
    setFlagsFromString("--optimize-for-size");
    // Keep the young generation at its first 1 MB semi-space: loading the agent's modules would
    // otherwise grow it to 8 MB x 2 that V8 gives back only once its memory reducer runs. Heap-size
    // flags are fixed when the heap is made, but V8 reads the growth factor each time it grows.
    setFlagsFromString("--semi-space-growth-factor=1");
  }
  await import("../dist/cli.js");
} else {
  // Own process group, so a terminal's Ctrl-C reaches the agent once (forwarded below), not twice.
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    detached: true,
    env: { ...process.env, UV_USE_IO_URING: "0" },
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
}
