/**
 * The server and the agent make ids with node:crypto's randomUUID (sync-server/src/ids.ts,
 * terminal-agent/src/ids.ts). For a seed to replay exactly, the simulation swaps in a seeded
 * UUID source for the length of one run and puts the real one back after:
 * module.syncBuiltinESMExports() updates the live ESM bindings of `import { randomUUID } from "node:crypto"`.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import type { Prng } from "./prng.js";

const require = createRequire(import.meta.url);
const crypto = require("node:crypto") as { randomUUID: () => string };
const realRandomUUID = crypto.randomUUID;

function hex8(prng: Prng): string {
  return prng.nextUint32().toString(16).padStart(8, "0");
}

/** Runs `work` with seeded UUIDs (version-4 shaped), restoring the real source afterwards. */
export async function withSeededUuids<T>(prng: Prng, work: () => Promise<T>): Promise<T> {
  crypto.randomUUID = () => {
    const a = hex8(prng);
    const b = hex8(prng);
    const c = hex8(prng);
    const d = hex8(prng);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-a${c.slice(1, 4)}-${c.slice(4)}${d}`;
  };
  syncBuiltinESMExports();
  try {
    return await work();
  } finally {
    crypto.randomUUID = realRandomUUID;
    syncBuiltinESMExports();
  }
}
