/**
 * The fault suite, bounded for CI: two runs of real processes (server, simulated devices, agents
 * behind a cut-and-freeze line proxy) under kill -9, graceful restarts and line faults.
 * `npm run test:faults -- --runs N` runs more (README, "Reliability").
 */
import { describe, expect, it } from "vitest";
import { runFaults } from "../../src/faults/run-faults.js";

describe("fault suite (real processes)", () => {
  it("2 runs: admin verify passes, one original receipt per approved payment, clean SIGTERM exits", { timeout: 400_000 }, async () => {
    const violations: string[] = [];
    let approved = 0;
    let midCreateJournaled = 0;
    for (const seed of [101, 102]) {
      const result = await runFaults({ seed, registers: 2, faultDurationMs: 10_000 });
      console.log(`faults seed ${seed}: ${JSON.stringify(result.figures)}; violations: ${result.violations.length}${result.violations.length > 0 ? ` (logs: ${result.dir})` : ""}`);
      violations.push(...result.violations.map((v) => `seed ${seed}: ${v}`));
      approved += result.figures["approved"] ?? 0;
      midCreateJournaled += result.figures["midCreateJournaled"] ?? 0;
    }
    expect(violations).toEqual([]);
    // The load did pay: a run where nothing settled would prove nothing.
    expect(approved).toBeGreaterThan(0);
    // And an agent did die between journaling a create and answering it (each run starts with that fault).
    expect(midCreateJournaled).toBeGreaterThan(0);
  });
});
