/**
 * A throwaway PostgreSQL cluster from the Debian binaries, for the scale-out test and bench:
 * initdb in a temporary directory (as the `postgres` user when run as root: initdb refuses root),
 * loopback only, trust authentication, one database `codepay`. fsync stays ON unless asked, so a
 * bench measures real commits.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { freeLoopbackPort } from "./loopback-port.js";

const run = promisify(execFile);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether something accepts a TCP connection on the loopback port. */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

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
  /** The postmaster's pid now (its backends are its children); a restart changes it. */
  readonly postmasterPid: number | undefined;
  /** `pg_ctl restart -m fast`: every session is terminated (57P01), the server is back when this resolves. */
  restart(): Promise<void>;
  /** SIGKILL to the postmaster (its backends exit when they notice); resolves once nothing answers on the port. */
  killPostmaster(): Promise<void>;
  /** Starts it again after killPostmaster (retried while the dead postmaster's backends still hold its shared memory). */
  start(): Promise<void>;
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
  const start = () => exec("pg_ctl", ["-D", dataDir, "-o", settings.join(" "), "-l", join(dir, "log"), "-w", "start"]);
  await start();
  await exec("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "codepay", "codepay"]);
  let stopped = false;
  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    get postmasterPid() {
      return postmasterPid();
    },
    async restart() {
      await exec("pg_ctl", ["-D", dataDir, "-m", "fast", "-l", join(dir, "log"), "-w", "restart"]);
    },
    async killPostmaster() {
      const pid = postmasterPid();
      if (pid === undefined) throw new Error("no postmaster.pid: PostgreSQL is not running");
      process.kill(pid, "SIGKILL");
      for (let attempt = 0; attempt < 100 && (await portAnswers(port)); attempt += 1) await delay(50);
    },
    async start() {
      // After a SIGKILLed postmaster its backends linger until they notice; until then the old shared memory is in use.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await start();
          return;
        } catch (error) {
          if (attempt >= 50) throw error;
          await delay(200);
        }
      }
    },
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
