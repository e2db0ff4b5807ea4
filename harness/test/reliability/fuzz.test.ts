/**
 * Fuzzing, bounded for CI: random and mutated inputs to every parser and handler (protocol schemas,
 * the server's register request path on a real database, the shopper API, the agent's server-message
 * handling and config, the display / ESC-POS / printer-status / card-line byte decoders).
 * `npm run fuzz -- --inputs 100000` runs the full count.
 */
import { describe, expect, it } from "vitest";
import { runFuzz } from "../../src/fuzz/run-fuzz.js";
import { randomBytes } from "../../src/fuzz/mutate.js";

describe("fuzzing", () => {
  it("24,000 inputs: every rejection is a clear error, nothing crashes", { timeout: 300_000 }, async () => {
    const report = await runFuzz({ inputs: 24_000, seed: 20_251 });
    console.log(`fuzz: inputs: ${report.inputs}, crashes: ${report.crashes.length}`);
    expect(report.crashes).toEqual([]);
    expect(Object.keys(report.perTarget).length).toBeGreaterThanOrEqual(12);
  });

  it("counts a crash: a planted parser that throws on bad input is caught", { timeout: 120_000 }, async () => {
    const planted = { name: "planted:json-parse", run: (prng: Parameters<typeof randomBytes>[0]) => void JSON.parse(randomBytes(prng, 16).toString("latin1")) };
    const report = await runFuzz({ inputs: 200, seed: 1, only: "planted", extraTargets: [planted] });
    expect(report.crashes.length).toBeGreaterThan(100);
    expect(report.crashes[0]?.target).toBe("planted:json-parse");
  });
});
