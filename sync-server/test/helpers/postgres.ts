/**
 * A throwaway PostgreSQL cluster for the tests (DESIGN-NOTES; started by hardware-sim's
 * startThrowawayPostgres: initdb in a temporary directory, as the `postgres` user when run as root,
 * loopback only), stopped by the test file that started it. One cluster per test process, one
 * database per server.
 * Missing binaries: a LOUD skip, or a failure under CODEPAY_REQUIRE_SYSTEM_TOOLS=1 (as in CI).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
// The cluster is the harness's (the scale-out test and bench start theirs the same way): a dev-only
// dependency of these tests; the server itself depends on nothing above the contract.
import { postgresBinDir, startThrowawayPostgres, type ThrowawayPostgres } from "@codepay/harness/cluster";

export type TestDialect = "sqlite" | "postgres";

let warned = false;

/** The dialects this machine can test: SQLite always, PostgreSQL when installed (or a failure in CI). */
export function dialectsUnderTest(): TestDialect[] {
  if (postgresBinDir() !== undefined) return ["sqlite", "postgres"];
  if (process.env["CODEPAY_REQUIRE_SYSTEM_TOOLS"] === "1") {
    throw new Error("postgresql not installed and CODEPAY_REQUIRE_SYSTEM_TOOLS=1; install with scripts/install-system-packages.sh");
  }
  if (!warned) {
    warned = true;
    const warning = "SKIPPED: postgresql not installed — the PostgreSQL half of the settlement tests did not run; install with scripts/install-system-packages.sh";
    const bar = "!".repeat(warning.length);
    process.stderr.write(`\n${bar}\n${warning}\n${bar}\n\n`);
  }
  return ["sqlite"];
}

let cluster: Promise<ThrowawayPostgres> | undefined;

/** A fresh, empty database on the process's cluster (started on first use); its URL. */
export async function createPostgresDatabase(): Promise<string> {
  // fsync off: a test cluster never needs to survive a power cut, and it halves the run time.
  cluster ??= startThrowawayPostgres({ fsync: false });
  const { port } = await cluster;
  const name = `codepay_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ host: "127.0.0.1", port, user: "codepay", database: "postgres" });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return `postgres://codepay@127.0.0.1:${port}/${name}`;
}

/** Stops the cluster this process started, if any, and removes its directory. */
export async function stopPostgres(): Promise<void> {
  if (cluster === undefined) return;
  const started = await cluster;
  cluster = undefined;
  await started.stop();
}
