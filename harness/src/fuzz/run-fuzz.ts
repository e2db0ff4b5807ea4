/**
 * Feeds N inputs round-robin to every target. Each input draws from its own PRNG (seed, index), so
 * a crash names the target and input that reproduce it. A crash is an uncaught exception or a
 * rejection that is not a clear error (FuzzFailure).
 */
import { Prng } from "../simulation/prng.js";
import { byteTargets } from "./byte-targets.js";
import { agentMessageTarget, configTarget, protocolTarget, serverRequestTarget, shopperApiTarget, startServerFixture, stopServerFixture } from "./message-targets.js";
import type { FuzzTarget } from "./target.js";

export interface FuzzOptions {
  readonly inputs: number;
  readonly seed: number;
  /** Only targets whose name contains this. */
  readonly only?: string | undefined;
  /** More targets (tests plant a broken parser to prove a crash is counted). */
  readonly extraTargets?: readonly FuzzTarget[];
}

export interface FuzzCrash {
  readonly target: string;
  readonly input: number;
  readonly error: string;
}

export interface FuzzReport {
  readonly inputs: number;
  readonly crashes: readonly FuzzCrash[];
  readonly perTarget: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
}

const CRASHES_KEPT_MAX = 50;

export function inputSeed(seed: number, input: number): number {
  return (Math.imul(seed, 0x9e3779b1) ^ Math.imul(input + 1, 0x85ebca6b)) >>> 0;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const fixture = await startServerFixture();
  const targets: FuzzTarget[] = [
    protocolTarget(),
    serverRequestTarget(fixture),
    await shopperApiTarget(fixture),
    await agentMessageTarget(),
    configTarget(),
    ...byteTargets(),
    ...(options.extraTargets ?? []),
  ].filter((target) => options.only === undefined || target.name.includes(options.only));
  if (targets.length === 0) throw new Error(`no fuzz target matches ${options.only}`);
  const crashes: FuzzCrash[] = [];
  const perTarget: Record<string, number> = {};
  let crashCount = 0;
  try {
    for (let input = 0; input < options.inputs; input += 1) {
      const target = targets[input % targets.length]!;
      perTarget[target.name] = (perTarget[target.name] ?? 0) + 1;
      try {
        await target.run(new Prng(inputSeed(options.seed, input)));
      } catch (error) {
        crashCount += 1;
        if (crashes.length < CRASHES_KEPT_MAX) crashes.push({ target: target.name, input, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split("\n").slice(1, 4).join("\n") ?? ""}` : String(error) });
      }
    }
  } finally {
    for (const target of targets) await target.close?.();
    await stopServerFixture(fixture);
  }
  return { inputs: options.inputs, crashes: crashCount === crashes.length ? crashes : [...crashes, ...Array.from({ length: crashCount - crashes.length }, () => ({ target: "(more)", input: -1, error: "" }))], perTarget, elapsedMs: Date.now() - started };
}
