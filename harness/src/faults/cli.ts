/**
 * `npm run test:faults -- --runs N [--seed S] [--registers R] [--duration-s D] [--keep]`: N runs
 * of the fault suite (seeds S, S+1, ...); prints runs and violations. Exit code 1 on any violation.
 */
import { parseArgs } from "node:util";
import { runFaults } from "./run-faults.js";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
      registers: { type: "string", default: "2" },
      "duration-s": { type: "string", default: "15" },
      keep: { type: "boolean", default: false },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  const first = Number(values.seed);
  const started = Date.now();
  let violations = 0;
  const totals: Record<string, number> = {};
  for (let seed = first; seed < first + runs; seed += 1) {
    const result = await runFaults({
      seed,
      registers: Number(values.registers),
      faultDurationMs: Number(values["duration-s"]) * 1000,
      keep: values.keep,
      log: (line) => console.log(`  [seed ${seed}] ${line}`),
    });
    for (const [key, value] of Object.entries(result.figures)) totals[key] = (totals[key] ?? 0) + value;
    violations += result.violations.length;
    console.log(`run seed ${seed}: ${result.violations.length} violations ${JSON.stringify(result.figures)}${result.violations.length > 0 || values.keep ? ` (logs: ${result.dir})` : ""}`);
    for (const violation of result.violations) console.log(`  VIOLATION ${violation}`);
  }
  console.log(`runs: ${runs}, violations: ${violations} (${((Date.now() - started) / 1000).toFixed(0)} s) ${JSON.stringify(totals)}`);
  return violations > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
