/**
 * A throwaway PostgreSQL cluster for the tests (DESIGN-NOTES): initdb in a temporary directory, run as
 * the `postgres` user when the tests run as root (initdb refuses root), listening on loopback only,
 * stopped by the test file that started it. One cluster per test process, one database per server.
 * Missing binaries: a LOUD skip, or a failure under CODEPAY_REQUIRE_SYSTEM_TOOLS=1 (as in CI).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

export type TestDialect = "sqlite" | "postgres";

/** The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl, or one on PATH. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = join(root, version, "bin");
      if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
    }
  }
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (dir !== "" && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  return undefined;
}

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Cluster {
  readonly dir: string;
  readonly bin: string;
  readonly port: number;
  readonly asPostgres: readonly string[];
}

let cluster: Promise<Cluster> | undefined;

async function startCluster(): Promise<Cluster> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error("postgresql binaries not found");
  const dir = mkdtempSync(join(tmpdir(), "codepay-pg-"));
  const isRoot = process.getuid?.() === 0;
  let asPostgres: string[] = [];
  if (isRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    asPostgres = ["runuser", "-u", "postgres", "--"];
  }
  const exec = (file: string, args: string[]) =>
    asPostgres.length > 0 ? run(asPostgres[0] as string, [...asPostgres.slice(1), join(bin, file), ...args]) : run(join(bin, file), args);
  await exec("initdb", ["-D", join(dir, "db"), "-A", "trust", "-U", "codepay", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  // fsync off: a test cluster never needs to survive a power cut, and it halves the run time.
  await exec("pg_ctl", ["-D", join(dir, "db"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, "-l", join(dir, "log"), "-w", "start"]);
  return { dir, bin, port, asPostgres };
}

/** A fresh, empty database on the process's cluster (started on first use); its URL. */
export async function createPostgresDatabase(): Promise<string> {
  cluster ??= startCluster();
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
  const args = ["-D", join(started.dir, "db"), "-m", "immediate", "-w", "stop"];
  if (started.asPostgres.length > 0) await run(started.asPostgres[0] as string, [...started.asPostgres.slice(1), join(started.bin, "pg_ctl"), ...args]);
  else await run(join(started.bin, "pg_ctl"), args);
  rmSync(started.dir, { recursive: true, force: true });
}
