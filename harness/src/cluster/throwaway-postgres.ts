/**
 * A throwaway PostgreSQL cluster from the Debian binaries, for the scale-out test and bench:
 * initdb in a temporary directory (as the `postgres` user when run as root: initdb refuses root),
 * loopback only, trust authentication, one database `codepay`. fsync stays ON unless asked, so a
 * bench measures real commits.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freeLoopbackPort } from "./loopback-port.js";

const run = promisify(execFile);

/** The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl, or a PATH directory that has them. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
      const bin = join(root, version, "bin");
      if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
    }
  }
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (dir !== "" && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  return undefined;
}

export interface ThrowawayPostgres {
  /** postgres://codepay@127.0.0.1:PORT/codepay */
  readonly url: string;
  readonly port: number;
  /** The postmaster's pid (its backends are its children). */
  readonly postmasterPid: number | undefined;
  /** Transactions committed in the `codepay` database so far, and WAL bytes written (pg_stat_database, pg_stat_wal; psql). */
  activity(): Promise<{ commits: number; walBytes: number }>;
  stop(): Promise<void>;
}

export interface ThrowawayPostgresOptions {
  /** false: no fsync (tests that never survive a power cut); default true. */
  readonly fsync?: boolean;
  readonly connectionsMax?: number;
}

export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error("postgresql not installed (scripts/install-system-packages.sh)");
  const dir = mkdtempSync(join(tmpdir(), "codepay-pg-cluster-"));
  const asPostgres: string[] = [];
  if (process.getuid?.() === 0) {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    chownSync(dir, uid, gid);
    asPostgres.push("runuser", "-u", "postgres", "--");
  }
  const exec = (tool: string, args: string[]) =>
    asPostgres.length > 0 ? run(asPostgres[0]!, [...asPostgres.slice(1), join(bin, tool), ...args]) : run(join(bin, tool), args);
  const dataDir = join(dir, "db");
  await exec("initdb", ["-D", dataDir, "-A", "trust", "-U", "codepay", "--no-sync", "-E", "UTF8"]);
  const port = await freeLoopbackPort();
  const settings = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", `-c max_connections=${options.connectionsMax ?? 200}`];
  if (options.fsync === false) settings.push("-c fsync=off");
  await exec("pg_ctl", ["-D", dataDir, "-o", settings.join(" "), "-l", join(dir, "log"), "-w", "start"]);
  await exec("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "codepay", "codepay"]);
  let stopped = false;
  const postmasterLine = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0];
  const postmasterPid = Number(postmasterLine);
  return {
    postmasterPid: Number.isInteger(postmasterPid) && postmasterPid > 0 ? postmasterPid : undefined,
    async activity() {
      const query = "select (select xact_commit from pg_stat_database where datname = 'codepay') || ' ' || (select wal_bytes from pg_stat_wal)";
      const { stdout } = await run(join(bin, "psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "codepay", "-d", "codepay", "-Atq", "-c", query]);
      const [commits, walBytes] = stdout.trim().split(" ").map(Number);
      return { commits: commits ?? Number.NaN, walBytes: walBytes ?? Number.NaN };
    },
    url: `postgres://codepay@127.0.0.1:${port}/codepay`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await exec("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
