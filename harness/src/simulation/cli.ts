/**
 * `npm run sim -- --seeds N [--from S]` runs N seeds and prints runs and violations;
 * `npm run sim -- --seed S [--trace]` replays one seed exactly and prints its step trace.
 * Exit code 1 when any run violated an invariant.
 */
import { runSimulation, type RunResult } from "./run-simulation.js";

interface CliOptions {
  seeds: number;
  from: number;
  seed: number | undefined;
  steps: number;
  trace: boolean;
  plant: string[];
}

function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { seeds: 100, from: 1, seed: undefined, steps: 200, trace: false, plant: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = (): number => {
      const text = argv[++i];
      const n = Number(text);
      if (text === undefined || !Number.isSafeInteger(n) || n < 0) throw new Error(`${arg} needs a non-negative integer`);
      return n;
    };
    if (arg === "--seeds") options.seeds = value();
    else if (arg === "--from") options.from = value();
    else if (arg === "--seed") options.seed = value();
    else if (arg === "--steps") options.steps = value();
    else if (arg === "--trace") options.trace = true;
    else if (arg === "--plant") options.plant.push(argv[++i] ?? "");
    else throw new Error(`unknown argument ${arg}; use --seeds N [--from S] | --seed S [--trace] [--steps N]`);
  }
  return options;
}

function printFailure(result: RunResult): void {
  console.log(`seed ${result.seed}: ${result.violations.length} violation(s)`);
  for (const violation of result.violations) console.log(`  VIOLATION ${violation}`);
  console.log(`  trace (last 80 of ${result.trace.length} lines; --seed ${result.seed} --trace prints all):`);
  for (const line of result.trace.slice(-80)) console.log(`    ${line}`);
  console.log(`  replay: npm run sim -- --seed ${result.seed} --trace`);
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (options.seed !== undefined) {
    const result = await runSimulation({ seed: options.seed, steps: options.steps, keepTrace: true, plant: options.plant });
    if (options.trace || result.violations.length > 0) for (const line of result.trace) console.log(line);
    for (const violation of result.violations) console.log(`VIOLATION ${violation}`);
    console.log(JSON.stringify({ seed: result.seed, steps: result.steps, violations: result.violations.length, ...result.stats }));
    return result.violations.length > 0 ? 1 : 0;
  }
  const started = Date.now();
  let violations = 0;
  let failedRuns = 0;
  const totals = { payments: 0, approved: 0, messages: 0, dropped: 0, duplicated: 0, serverCrashes: 0, agentCrashes: 0, receipts: 0 };
  for (let seed = options.from; seed < options.from + options.seeds; seed += 1) {
    const result = await runSimulation({ seed, steps: options.steps, plant: options.plant });
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result.stats[key];
    if (result.violations.length > 0) {
      violations += result.violations.length;
      failedRuns += 1;
      printFailure(result);
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`runs: ${options.seeds}, violations: ${violations} (failed runs: ${failedRuns}; seeds ${options.from}..${options.from + options.seeds - 1}, ${seconds} s)`);
  console.log(`  ${JSON.stringify(totals)}`);
  return violations > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
