import { postgresBinDir } from "../../src/cluster/index.js";

/**
 * True when PostgreSQL is installed. Without it: a loud skip, or a failure under
 * CODEPAY_REQUIRE_SYSTEM_TOOLS=1 (as in CI), as requireToolOrSkip does for other tools.
 */
export function postgresOrSkip(what: string): boolean {
  if (postgresBinDir() !== undefined) return true;
  if (process.env["CODEPAY_REQUIRE_SYSTEM_TOOLS"] === "1") {
    throw new Error("postgresql not installed and CODEPAY_REQUIRE_SYSTEM_TOOLS=1; install with scripts/install-system-packages.sh");
  }
  const warning = `SKIPPED: postgresql not installed — ${what} did not run; install with scripts/install-system-packages.sh`;
  process.stderr.write(`\n${"!".repeat(warning.length)}\n${warning}\n${"!".repeat(warning.length)}\n\n`);
  return false;
}
