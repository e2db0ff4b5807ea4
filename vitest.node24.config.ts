import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// The agent's own tests on the Node 24 runtime the codepay-agent package carries
// (`npm run test:agent:node24`). The repository's better-sqlite3 is compiled for the machine's Node;
// the one in the package's runtime folder (CODEPAY_AGENT_RUNTIME, from `package:agent --stage-only`)
// is compiled for Node 24, so the journal's SQLite loads from there. Not mergeConfig: it would
// append this include to the base one (the whole suite) instead of replacing it.
const runtime = process.env.CODEPAY_AGENT_RUNTIME;
if (runtime === undefined) throw new Error("CODEPAY_AGENT_RUNTIME is not set: run npm run test:agent:node24");

export default defineConfig({
  ...base,
  resolve: { ...base.resolve, alias: { "better-sqlite3": `${runtime}/node_modules/better-sqlite3` } },
  test: { ...base.test, include: ["contract/test/**/*.test.ts", "terminal-agent/test/**/*.test.ts"] },
});
