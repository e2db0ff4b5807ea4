/**
 * Flags of a benchmark: one table per bench gives each flag its type, default and meaning, and from
 * it come both the parsing and `--help` (usage, every flag with its default, what the figures mean).
 * An unknown flag, a positional argument or a flag without its value fails with a message that names
 * it and points at `--help`, instead of node:util's generic parse error.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface FlagSpec {
  readonly type: "string" | "boolean";
  /** Shown in --help; a string flag without one is unset unless given. */
  readonly default?: string | boolean;
  /** The value's name in --help (string flags), e.g. "N" or "MS". */
  readonly value?: string;
  readonly description: string;
}

export interface BenchUsage<Flags extends Record<string, FlagSpec>> {
  /** How to run it, e.g. "npm run bench --". */
  readonly command: string;
  /** What it measures, one paragraph. */
  readonly summary: string;
  readonly flags: Flags;
  /** What each printed figure means, one line each. */
  readonly figures: readonly string[];
}

export type FlagValues<Flags extends Record<string, FlagSpec>> = {
  readonly [Name in keyof Flags]: Flags[Name]["type"] extends "boolean" ? boolean : Flags[Name] extends { default: string } ? string : string | undefined;
};

const HELP_FLAG: FlagSpec = { type: "boolean", default: false, description: "print this help and exit" };

/** The --help text: usage, flags with defaults, figures. */
export function helpText<Flags extends Record<string, FlagSpec>>(usage: BenchUsage<Flags>): string {
  const flags = Object.entries({ ...usage.flags, help: HELP_FLAG }).map(([name, spec]) => {
    const left = spec.type === "string" ? `--${name} ${spec.value ?? "VALUE"}` : `--${name}`;
    const shownDefault = spec.type === "string" ? (spec.default === undefined ? " (default: unset)" : ` (default: ${String(spec.default)})`) : spec.default === true ? " (default: on)" : " (default: off)";
    return [left, `${spec.description}${shownDefault}`] as const;
  });
  const width = Math.max(...flags.map(([left]) => left.length));
  return [
    `usage: ${usage.command} [flags]`,
    "",
    usage.summary,
    "",
    "flags:",
    ...flags.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    "",
    "figures:",
    ...usage.figures.map((line) => `  ${line}`),
    "",
  ].join("\n");
}

/**
 * Parses argv against the table. `undefined` means --help was asked for and printed (exit 0);
 * a bad command line throws an Error whose message says what was wrong.
 */
export function parseBenchFlags<Flags extends Record<string, FlagSpec>>(argv: readonly string[], usage: BenchUsage<Flags>): FlagValues<Flags> | undefined {
  const options: NonNullable<ParseArgsConfig["options"]> = Object.fromEntries(
    Object.entries({ ...usage.flags, help: HELP_FLAG }).map(([name, spec]) => [name, spec.default === undefined ? { type: spec.type } : { type: spec.type, default: spec.default }]),
  ) as NonNullable<ParseArgsConfig["options"]>;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new Error(`${badFlagMessage(error)} (\`${usage.command} --help\` lists the flags)`);
  }
  if (values["help"] === true) {
    process.stdout.write(helpText(usage));
    return undefined;
  }
  return values as FlagValues<Flags>;
}

function badFlagMessage(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag ${quoted ?? message}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument ${quoted ?? message}: every setting is a --flag`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return message.replace(/^Option /, "flag ");
  return message;
}
