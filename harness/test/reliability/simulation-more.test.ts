/** Deterministic simulation, seeds 501-1000 (a second file so vitest runs the halves on both cores). */
import { describe, expect, it } from "vitest";
import { runSeeds } from "./simulation-seeds.js";

describe("deterministic simulation", () => {
  it("seeds 501-1000 keep every invariant", { timeout: 600_000 }, async () => {
    const { runs, violations } = await runSeeds(501, 500);
    console.log(`simulation seeds 501-1000: runs: ${runs}, violations: ${violations.length}`);
    expect(violations).toEqual([]);
  });
});
