/**
 * Deterministic simulation, seeds 1-500 (simulation-more.test.ts runs 501-1000): the server's
 * settlement path, two agents and three phones on a fake clock and a faulty network, with crashes.
 * Also: a seed replays exactly, and a planted bug is caught.
 */
import { describe, expect, it } from "vitest";
import { runSimulation } from "../../src/simulation/run-simulation.js";
import { CI_STEPS, runSeeds } from "./simulation-seeds.js";

describe("deterministic simulation", () => {
  it("seeds 1-500 keep every invariant", { timeout: 600_000 }, async () => {
    const { runs, violations } = await runSeeds(1, 500);
    console.log(`simulation seeds 1-500: runs: ${runs}, violations: ${violations.length}`);
    expect(violations).toEqual([]);
  });

  it("a seed replays exactly: the same trace, step for step", { timeout: 60_000 }, async () => {
    const first = await runSimulation({ seed: 4242, steps: CI_STEPS, keepTrace: true });
    const second = await runSimulation({ seed: 4242, steps: CI_STEPS, keepTrace: true });
    expect(first.trace.length).toBeGreaterThan(CI_STEPS);
    expect(second.trace).toEqual(first.trace);
    expect(second.stats).toEqual(first.stats);
  });

  it("catches a planted bug: the agent forgets the receipts a crash left unprinted", { timeout: 120_000 }, async () => {
    const { violations } = await runSeeds(1, 40, ["no-reprint-after-restart"]);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.some((v) => /not marked printed|printed 0 originals/.test(v))).toBe(true);
  });
});
