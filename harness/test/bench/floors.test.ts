/**
 * `--floor` and `--features-floor` (bench/lean-floor.ts): the figures read from the lean client's JSON line
 * and from the rate client's, a floor that is not beside the project is a skip with its reason, and the
 * features floor's script answers --help, refuses an unknown flag or a rate that is not a number, and drives
 * its server at a set rate (scripts/features-floor/run.sh, rate_client.mjs).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
    const line = '{"features":"schema,I","op":"lean_payment","registers":32,"payments":9351,"failed":0,"payments_per_s":1862.6,"server_cpu_ms_per_payment":0.511,"client_cpu_ms_per_payment":0.365,"server_core_util":0.95,"approve_to_result_p50_ms":7.7,"approve_to_result_p99_ms":22.7}';
    expect(leanPaymentFigures(line)).toEqual({ paymentsPerS: 1862.6, serverCpuMsPerPayment: 0.511, clientCpuMsPerPayment: 0.365, payments: 9351, failed: 0, approveToResultP50Ms: 7.7, approveToResultP99Ms: 22.7 });
  });

  it("reads the rate client's line", () => {
    const line = '{"features":"lean floor","waits_for_sync":false,"op":"payment_at_rate","registers":32,"rate_target_per_s":500,"payments":5005,"failed":0,"payments_per_s":497.4,"server_cpu_ms_per_payment":1.175,"client_cpu_ms_per_payment":0.61,"server_core_util":0.584,"approve_to_result_p50_ms":0.708,"approve_to_result_p99_ms":4.741}';
    expect(leanPaymentFigures(line)).toEqual({ paymentsPerS: 497.4, serverCpuMsPerPayment: 1.175, clientCpuMsPerPayment: 0.61, payments: 5005, failed: 0, approveToResultP50Ms: 0.708, approveToResultP99Ms: 4.741 });
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

  it("at a rate, a lean floor without its server beside the project is skipped naming the server", async () => {
    const root = mkdtempSync(join(tmpdir(), "codepay-floors-"));
    made.push(root);
    const project = join(root, "project");
    mkdirSync(join(project, "node_modules"), { recursive: true });
    mkdirSync(join(root, "shared", "floor"), { recursive: true });
    writeFileSync(join(root, "shared", "floor", "run.sh"), "exit 1\n");
    const lean = await runLeanFloor(project, 4, 1, 100);
    expect(lean).toEqual({ ran: false, reason: expect.stringContaining(join(root, "shared", "floor", "lean_server.mjs")) });
  });

  it("the features floor's script prints its usage and refuses an unknown flag", () => {
    const script = featuresFloorScript(repositoryRoot);
    const help = spawnSync("bash", [script, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    for (const flag of ["--features I,A,V,H,M", "--registers", "--seconds", "--no-wait", "--rate-per-s N", "--lean-floor"]) expect(help.stdout).toContain(flag);
    const refused = spawnSync("bash", [script, "--regsiters", "4"], { encoding: "utf8" });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("unknown flag: --regsiters");
    const notARate = spawnSync("bash", [script, "--rate-per-s", "50x"], { encoding: "utf8" });
    expect(notARate.status).toBe(2);
    expect(notARate.stderr).toContain("--rate-per-s takes a whole number of payments per second: 50x");
  });

  // The rate client and the features floor's server are the project's own: this runs with nothing beside it.
  it("drives the floor design at a set rate and reports what it measured", () => {
    const run = spawnSync("bash", [featuresFloorScript(repositoryRoot), "--features", "I,A", "--registers", "2", "--seconds", "2", "--rate-per-s", "20"], { encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const line = run.stdout.split("\n").find((l) => l.includes('"op":"payment_at_rate"'));
    expect(line).toBeDefined();
    const parsed = JSON.parse(line ?? "{}") as Record<string, unknown>;
    expect(parsed).toMatchObject({ features: "schema,I,A", registers: 2, rate_target_per_s: 20, failed: 0 });
    const figures = leanPaymentFigures(line ?? "");
    // 20 starts a second for 2 s: paced, not flat out (the floor design does well over 1,000 a second here).
    expect(figures.payments).toBeGreaterThanOrEqual(30);
    expect(figures.payments).toBeLessThanOrEqual(45);
    expect(figures.serverCpuMsPerPayment).toBeGreaterThan(0);
    expect(figures.approveToResultP99Ms).toBeGreaterThanOrEqual(figures.approveToResultP50Ms);
  }, 90_000);
});
