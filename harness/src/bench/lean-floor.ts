/**
 * `npm run bench -- --floor`: the lean reference server (../shared/floor/run.sh beside the project: embedded
 * aedes + fastify + better-sqlite3, the same create -> code -> claim -> approve -> result -> ack exchange,
 * none of Code Pay's guarantees) run right after the bench, with as many registers and as long, so the
 * two CPU-per-payment figures come from the same minutes of this shared machine. `--features-floor`: the
 * same design carrying Code Pay's guarantees (scripts/features-floor), run the same way. With a rate
 * (`--rate-per-s`), both floors are driven at that rate too (scripts/features-floor/rate_client.mjs), so
 * approve -> result at a rate has a floor measured at the same rate.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export interface LeanFloorFigures {
  readonly paymentsPerS: number;
  readonly serverCpuMsPerPayment: number;
  readonly clientCpuMsPerPayment: number;
  readonly payments: number;
  readonly failed: number;
  readonly approveToResultP50Ms: number;
  readonly approveToResultP99Ms: number;
}

export type LeanFloorRun = { readonly ran: true; readonly figures: LeanFloorFigures } | { readonly ran: false; readonly reason: string };

/** Where the lean floor sits for a project root: `<root>/../shared/floor` (run.sh, its server and its client). */
function leanFloorDir(repositoryRoot: string): string {
  return resolve(repositoryRoot, "..", "shared", "floor");
}

/** Where run.sh sits for a project root: `<root>/../shared/floor/run.sh`. */
export function leanFloorScript(repositoryRoot: string): string {
  return join(leanFloorDir(repositoryRoot), "run.sh");
}

/**
 * Runs the lean floor; a missing script is a skip with its reason, a failing one is an error. With a rate,
 * its own server is driven at that rate by scripts/features-floor (`--lean-floor --rate-per-s N`).
 */
export async function runLeanFloor(repositoryRoot: string, registers: number, seconds: number, ratePerS?: number): Promise<LeanFloorRun> {
  const script = leanFloorScript(repositoryRoot);
  if (!existsSync(script)) return { ran: false, reason: `${script} not found (the lean floor lives beside the project, in ../shared/floor)` };
  if (!existsSync(join(repositoryRoot, "node_modules"))) return { ran: false, reason: `${repositoryRoot}/node_modules missing (run.sh borrows the project's aedes, fastify and better-sqlite3)` };
  if (ratePerS === undefined) return { ran: true, figures: await runFloorScript("lean floor", script, [repositoryRoot, String(registers), wholeSeconds(seconds)]) };
  const server = join(leanFloorDir(repositoryRoot), "lean_server.mjs");
  if (!existsSync(server)) return { ran: false, reason: `${server} not found (a rate drives the lean floor's own server)` };
  return { ran: true, figures: await runFloorScript("lean floor", featuresFloorScript(repositoryRoot), ["--lean-floor", ...sizeArgs(registers, seconds, ratePerS)]) };
}

/** The guarantees `--features-floor` adds to the floor's design (scripts/features-floor/server.mjs says what each is). */
export const FEATURES_FLOOR_FEATURES = "I,A,V,H,M";

/** Where the features floor's script sits: `<root>/scripts/features-floor/run.sh`. */
export function featuresFloorScript(repositoryRoot: string): string {
  return join(repositoryRoot, "scripts", "features-floor", "run.sh");
}

/**
 * `--features-floor`: the lean floor's design carrying Code Pay's schema, statements and guarantees
 * (scripts/features-floor), driven by the lean floor's own client, as many registers and as long.
 * What Code Pay costs above it is its own pipeline, not the guarantees (docs/performance.md).
 */
export async function runFeaturesFloor(repositoryRoot: string, registers: number, seconds: number, ratePerS?: number): Promise<LeanFloorRun> {
  const client = join(leanFloorDir(repositoryRoot), "lean_client.mjs");
  if (ratePerS === undefined && !existsSync(client)) return { ran: false, reason: `${client} not found (the features floor is driven by the lean floor's client, in ../shared/floor)` };
  return { ran: true, figures: await runFloorScript("features floor", featuresFloorScript(repositoryRoot), ["--features", FEATURES_FLOOR_FEATURES, ...sizeArgs(registers, seconds, ratePerS)]) };
}

const wholeSeconds = (seconds: number): string => String(Math.max(1, Math.round(seconds)));

function sizeArgs(registers: number, seconds: number, ratePerS: number | undefined): string[] {
  return ["--registers", String(registers), "--seconds", wholeSeconds(seconds), ...(ratePerS === undefined ? [] : ["--rate-per-s", String(Math.max(1, Math.round(ratePerS)))])];
}

/** Runs a floor's script and reads the lean client's one JSON line; no line or a non-zero exit is an error. */
async function runFloorScript(label: string, script: string, args: readonly string[]): Promise<LeanFloorFigures> {
  const child = spawn("bash", [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  const line = stdout.split("\n").find((l) => l.includes('"op":"lean_payment"') || l.includes('"op":"payment_at_rate"'));
  if (code !== 0 || line === undefined) throw new Error(`${label}: ${script} exited ${code} without a result: ${(stderr || stdout).trim().slice(0, 400)}`);
  return leanPaymentFigures(line);
}

/** The figures of the lean client's JSON line (`"op":"lean_payment"`), or the rate client's (`"op":"payment_at_rate"`). */
export function leanPaymentFigures(line: string): LeanFloorFigures {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const number = (key: string): number => {
    const value = parsed[key];
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`the lean client's line has no number ${key}: ${line.slice(0, 200)}`);
    return value;
  };
  return {
    paymentsPerS: number("payments_per_s"),
    serverCpuMsPerPayment: number("server_cpu_ms_per_payment"),
    clientCpuMsPerPayment: number("client_cpu_ms_per_payment"),
    payments: number("payments"),
    failed: number("failed"),
    approveToResultP50Ms: number("approve_to_result_p50_ms"),
    approveToResultP99Ms: number("approve_to_result_p99_ms"),
  };
}
