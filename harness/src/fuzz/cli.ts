/**
 * `npm run fuzz -- --inputs N [--seed S] [--only NAME]`: random and mutated inputs to every parser
 * and handler; prints inputs tried and crashes. Exit code 1 on any crash.
 */
import { runFuzz } from "./run-fuzz.js";

function parseArgs(argv: readonly string[]): { inputs: number; seed: number; only: string | undefined } {
  const options = { inputs: 10_000, seed: 1, only: undefined as string | undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = argv[++i];
    if (next === undefined) throw new Error(`${arg} needs a value`);
    if (arg === "--inputs" || arg === "--seed") {
      const n = Number(next);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${arg} needs a non-negative integer`);
      options[arg === "--inputs" ? "inputs" : "seed"] = n;
    } else if (arg === "--only") options.only = next;
    else throw new Error(`unknown argument ${arg}; use --inputs N [--seed S] [--only NAME]`);
  }
  return options;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const report = await runFuzz(options);
  for (const crash of report.crashes.slice(0, 20)) console.log(`CRASH ${crash.target} input ${crash.input} (--seed ${options.seed}): ${crash.error}`);
  for (const [target, count] of Object.entries(report.perTarget)) console.log(`  ${target}: ${count}`);
  console.log(`inputs: ${report.inputs}, crashes: ${report.crashes.length} (seed ${options.seed}, ${(report.elapsedMs / 1000).toFixed(1)} s)`);
  return report.crashes.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
