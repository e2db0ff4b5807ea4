/**
 * Finding system tools (socat) and skipping tests loudly when one is missing.
 * Tests in every package use requireToolOrSkip so a missing tool is visible, and CI
 * (CODEPAY_REQUIRE_SYSTEM_TOOLS=1) fails instead of skipping.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Where tools are looked for by default: PATH, then the sbin directories, where Debian installs
 * daemons such as mosquitto and which a non-root PATH may lack.
 */
function defaultSearchPath(): string {
  return [process.env.PATH ?? "", "/usr/sbin", "/usr/local/sbin"].join(delimiter);
}

/** Absolute path of an executable on the search path, or undefined. */
export function findTool(name: string, pathVariable: string = defaultSearchPath()): string | undefined {
  for (const directory of pathVariable.split(delimiter)) {
    if (directory === "") continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export class SystemToolMissingError extends Error {
  constructor(readonly tool: string) {
    super(`${tool} not installed and CODEPAY_REQUIRE_SYSTEM_TOOLS=1; install with scripts/install-system-packages.sh`);
    this.name = "SystemToolMissingError";
  }
}

/**
 * True when the tool exists. When it does not: prints a loud warning and returns false (use with
 * `describe.skipIf(!requireToolOrSkip("socat"))`), or throws when CODEPAY_REQUIRE_SYSTEM_TOOLS=1.
 */
export function requireToolOrSkip(name: string, what = "pty tests"): boolean {
  if (findTool(name) !== undefined) return true;
  if (process.env.CODEPAY_REQUIRE_SYSTEM_TOOLS === "1") throw new SystemToolMissingError(name);
  const warning = `SKIPPED: ${name} not installed — ${what} did not run; install with scripts/install-system-packages.sh`;
  const bar = "!".repeat(warning.length);
  process.stderr.write(`\n${bar}\n${warning}\n${bar}\n\n`);
  return false;
}
