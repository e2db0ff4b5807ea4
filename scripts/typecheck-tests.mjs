#!/usr/bin/env node
// Type-checks every workspace's test/ folder. `tsc -b` builds only src/, so without this a test could call an
// API with the wrong shape and still run (vitest strips types). One tsc per folder, in parallel.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

const folders = ["contract", "systemd-watchdog", "sync-server", "terminal-agent", "hardware-sim", "harness"]
  .map((workspace) => `${workspace}/test`)
  .filter((folder) => existsSync(`${folder}/tsconfig.json`));

const results = await Promise.all(
  folders.map(
    (folder) =>
      new Promise((resolve) => {
        const tsc = spawn(process.execPath, ["node_modules/typescript/bin/tsc", "-p", folder, "--noEmit"], { stdio: "inherit" });
        tsc.on("close", (code) => resolve({ folder, code }));
      }),
  ),
);
const failed = results.filter((result) => result.code !== 0);
for (const { folder } of failed) console.error(`typecheck: ${folder} has type errors (above)`);
process.exit(failed.length === 0 ? 0 : 1);
