/**
 * `--floor` and `--features-floor` (bench/lean-floor.ts): the figures read from the lean client's JSON line,
 * a floor that is not beside the project is a skip with its reason, and the features floor's script answers
 * --help and refuses an unknown flag (scripts/features-floor/run.sh).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { featuresFloorScript, leanPaymentFigures, runFeaturesFloor, runLeanFloor } from "../../src/bench/lean-floor.js";

const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url));
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the floors beside the bench", () => {
  it("reads the lean client's line", () => {
    const line = '{"features":"schema,I","op":"lean_payment","registers":32,"payments":9351,"failed":0,"payments_per_s":1862.6,"server_cpu_ms_per_payment":0.511,"client_cpu_ms_per_payment":0.365}';
    expect(leanPaymentFigures(line)).toEqual({ paymentsPerS: 1862.6, serverCpuMsPerPayment: 0.511, clientCpuMsPerPayment: 0.365, payments: 9351, failed: 0 });
  });

  it("a line without a figure is an error naming it, not a zero", () => {
    expect(() => leanPaymentFigures('{"op":"lean_payment","payments":10,"failed":0,"payments_per_s":5,"client_cpu_ms_per_payment":0.3}')).toThrow("no number server_cpu_ms_per_payment");
    expect(() => leanPaymentFigures('{"op":"lean_payment","payments":10,"failed":0,"payments_per_s":"fast","server_cpu_ms_per_payment":1,"client_cpu_ms_per_payment":0.3}')).toThrow("no number payments_per_s");
  });

  it("a floor that is not beside the project is skipped with where it was looked for", async () => {
    const root = mkdtempSync(join(tmpdir(), "codepay-floors-"));
    made.push(root);
    const project = join(root, "project");
    const lean = await runLeanFloor(project, 4, 1);
    expect(lean).toEqual({ ran: false, reason: expect.stringContaining(join(root, "shared", "floor", "run.sh")) });
    const features = await runFeaturesFloor(project, 4, 1);
    expect(features).toEqual({ ran: false, reason: expect.stringContaining(join(root, "shared", "floor", "lean_client.mjs")) });
  });

  it("the features floor's script prints its usage and refuses an unknown flag", () => {
    const script = featuresFloorScript(repositoryRoot);
    const help = spawnSync("bash", [script, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    for (const flag of ["--features I,A,V,H,M", "--registers", "--seconds", "--no-wait"]) expect(help.stdout).toContain(flag);
    const refused = spawnSync("bash", [script, "--regsiters", "4"], { encoding: "utf8" });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("unknown flag: --regsiters");
  });
});
