/**
 * What every `codepay-server` command shares: its IO, argument parsing with usage errors, the common
 * options (--data-dir, --json, --request-id) and printing a result as JSON or as lines for people.
 */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { RunningServer } from "../server.js";

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** serve: called once the server listens, with a function that stops it (signal handling lives in cli.ts). */
  readonly onServing?: (server: RunningServer) => void;
}

/** Bad usage: exit 2 with the usage text. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | undefined>;

export const COMMON: Options = { "data-dir": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } };
/** Mutating admin commands take an idempotency key: the same id again returns the first result. */
export const MUTATING: Options = { "request-id": { type: "string" } };

export function requestIdOf(values: Values): { requestId?: string } {
  const value = values["request-id"];
  return typeof value === "string" ? { requestId: value } : {};
}

export function parse(args: string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function text(values: Values, name: string, env?: string, io?: CliIo): string | undefined {
  const value = values[name];
  if (typeof value === "string") return value;
  return env !== undefined ? io?.env[env] : undefined;
}

export function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

export function port(values: Values, name: string, env: string, io: CliIo, fallback: number): number {
  const raw = text(values, name, env, io);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new UsageError(`--${name} must be a port number 0-65535`);
  return value;
}

export function positiveInt(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UsageError(`--${name} must be an integer 1-${max}`);
  return value;
}

export function dataDir(values: Values, io: CliIo): string {
  return text(values, "data-dir", "CODEPAY_DATA_DIR", io) ?? "./data";
}

export function readSecretFile(what: string, file: string): string {
  try {
    const value = readFileSync(file, "utf8").trim();
    if (value === "") throw new UsageError(`${what} ${file} is empty`);
    return value;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export function print(io: CliIo, json: boolean, result: object, human: () => string): void {
  io.stdout(json ? JSON.stringify(result) : human());
}

export function keyValues(result: object): string {
  return Object.entries(result)
    .filter(([, value]) => typeof value !== "object")
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join("\n");
}
