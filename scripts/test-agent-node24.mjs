#!/usr/bin/env node
/**
 * npm run test:agent:node24 [-- vitest filters]
 * The agent's unit tests (terminal-agent, and the contract package it runs on; systemd-watchdog has none)
 * on the Node 24 runtime the codepay-agent Debian package carries: vitest itself runs on that node
 * binary, with better-sqlite3 compiled for it (the cached runtime of `package:agent --stage-only`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
if (process.argv.includes("--help")) {
  process.stdout.write("usage: npm run test:agent:node24 [-- <vitest filters>]\n");
  process.exit(0);
}
const runtime = execFileSync(process.execPath, [path.join(root, "scripts/package-agent.mjs"), "--stage-only"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1);
const node = path.join(runtime, "bin/node");
process.stderr.write(`agent tests on ${execFileSync(node, ["--version"], { encoding: "utf8" }).trim()} (${node})\n`);
const result = spawnSync(node, [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", "vitest.node24.config.ts", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CODEPAY_AGENT_RUNTIME: runtime, UV_USE_IO_URING: "0" },
});
process.exit(result.status ?? 1);
