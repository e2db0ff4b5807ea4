/**
 * Every bench takes its flags from one table (bench/bench-flags.ts): --help prints each flag with its
 * default and what the figures mean; a flag it does not know fails with a message naming it.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { helpText, parseBenchFlags } from "../../src/bench/bench-flags.js";

const usage = {
  command: "npm run bench:example --",
  summary: "An example bench.",
  flags: {
    registers: { type: "string", default: "32", value: "N", description: "registers" },
    "rate-per-s": { type: "string", value: "N", description: "target rate" },
    json: { type: "boolean", default: false, description: "one JSON line" },
  },
  figures: ["payments_per_s  payments per second"],
} as const;

describe("bench flags", () => {
  it("parses flags with their defaults", () => {
    expect(parseBenchFlags(["--json"], usage)).toEqual({ registers: "32", json: true, help: false });
    expect(parseBenchFlags(["--registers", "8", "--rate-per-s", "100"], usage)).toMatchObject({ registers: "8", "rate-per-s": "100", json: false });
  });

  it("help lists every flag with its default, and the figures", () => {
    const text = helpText(usage);
    expect(text).toContain("usage: npm run bench:example -- [flags]");
    expect(text).toMatch(/--registers N\s+registers \(default: 32\)/);
    expect(text).toMatch(/--rate-per-s N\s+target rate \(default: unset\)/);
    expect(text).toMatch(/--json\s+one JSON line \(default: off\)/);
    expect(text).toMatch(/--help\s+print this help and exit/);
    expect(text).toContain("payments_per_s  payments per second");
  });

  it("an unknown flag, a missing value or a stray argument fails naming it and pointing at --help", () => {
    expect(() => parseBenchFlags(["--registrs", "8"], usage)).toThrow("unknown flag --registrs (`npm run bench:example -- --help` lists the flags)");
    expect(() => parseBenchFlags(["--registers"], usage)).toThrow(/--registers.*argument missing/);
    expect(() => parseBenchFlags(["8"], usage)).toThrow(/unexpected argument 8/);
  });

  it("npm run bench refuses an unknown flag before starting anything, and --help exits 0", () => {
    const bench = fileURLToPath(new URL("../../dist/bench/payments-bench.js", import.meta.url));
    const refused = spawnSync(process.execPath, [bench, "--duration", "5"], { encoding: "utf8", timeout: 30_000 });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("bench: unknown flag --duration (`npm run bench -- --help` lists the flags)");
    const help = spawnSync(process.execPath, [bench, "--help"], { encoding: "utf8", timeout: 30_000 });
    expect(help.status).toBe(0);
    for (const flag of ["--registers", "--phones", "--duration-s", "--warmup-s", "--rate-per-s", "--stores", "--instances", "--pin", "--floor", "--features-floor", "--json"]) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toContain("server_cpu_ms_per_payment");
  });
});
