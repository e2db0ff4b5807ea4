/** Shared by the simulation tests: run a range of seeds and report the failures with their traces. */
import { runSimulation } from "../../src/simulation/run-simulation.js";

/** Steps per seed in CI; `npm run sim -- --seeds N` runs 200 by default. */
export const CI_STEPS = 40;

export async function runSeeds(from: number, count: number, plant: string[] = []): Promise<{ runs: number; violations: string[] }> {
  const violations: string[] = [];
  for (let seed = from; seed < from + count; seed += 1) {
    const result = await runSimulation({ seed, steps: CI_STEPS, plant });
    for (const violation of result.violations) violations.push(`seed ${seed}: ${violation}`);
    if (result.violations.length > 0 && plant.length === 0) {
      console.log(`seed ${seed} failed; replay with: npm run sim -- --seed ${seed} --steps ${CI_STEPS} --trace\n${result.trace.slice(-60).join("\n")}`);
    }
  }
  return { runs: count, violations };
}
