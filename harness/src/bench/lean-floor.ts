/**
 * `npm run bench -- --floor`: the lean reference server (../shared/floor/run.sh beside the project: embedded
 * aedes + fastify + better-sqlite3, the same create -> code -> claim -> approve -> result -> ack exchange,
 * none of Code Pay's guarantees) run right after the bench, with as many registers and as long, so the
 * two CPU-per-payment figures come from the same minutes of this shared machine.
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
}

export type LeanFloorRun = { readonly ran: true; readonly figures: LeanFloorFigures } | { readonly ran: false; readonly reason: string };

/** Where run.sh sits for a project root: `<root>/../shared/floor/run.sh`. */
export function leanFloorScript(repositoryRoot: string): string {
  return resolve(repositoryRoot, "..", "shared", "floor", "run.sh");
}

/** Runs the lean floor; a missing script is a skip with its reason, a failing one is an error. */
export async function runLeanFloor(repositoryRoot: string, registers: number, seconds: number): Promise<LeanFloorRun> {
  const script = leanFloorScript(repositoryRoot);
  if (!existsSync(script)) return { ran: false, reason: `${script} not found (the lean floor lives beside the project, in ../shared/floor)` };
  if (!existsSync(join(repositoryRoot, "node_modules"))) return { ran: false, reason: `${repositoryRoot}/node_modules missing (run.sh borrows the project's aedes, fastify and better-sqlite3)` };
  const child = spawn("bash", [script, repositoryRoot, String(registers), String(Math.max(1, Math.round(seconds)))], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  const line = stdout.split("\n").find((l) => l.includes('"lean_payment"'));
  if (code !== 0 || line === undefined) throw new Error(`lean floor: ${script} exited ${code} without a result: ${(stderr || stdout).trim().slice(0, 400)}`);
  const parsed = JSON.parse(line) as Record<string, number>;
  return {
    ran: true,
    figures: {
      paymentsPerS: Number(parsed["payments_per_s"]),
      serverCpuMsPerPayment: Number(parsed["server_cpu_ms_per_payment"]),
      clientCpuMsPerPayment: Number(parsed["client_cpu_ms_per_payment"]),
      payments: Number(parsed["payments"]),
      failed: Number(parsed["failed"]),
    },
  };
}
