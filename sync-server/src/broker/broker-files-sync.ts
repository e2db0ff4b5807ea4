/**
 * Keeps an external mosquitto's password file and ACL in step with the registers table, so that
 * enrolling, pairing or disabling a register needs no operator: after every such change the process
 * that made it (an admin command, or whichever server instance served the pairing) calls this.
 *
 * Each rewrite regenerates both files from the database (never edits them), writes them beside and
 * renames (atomic), and then reloads the broker (SIGHUP: mosquitto re-reads password_file and
 * acl_file; its listener config is left alone). Rewrites from several processes are serialized by a
 * PostgreSQL advisory lock held from the read to the rename, so the last file written was read after
 * the last change committed: a slow rewrite that read the table before a change cannot rename its
 * older file over a newer one. On SQLite (one server process, admin commands beside it) the
 * database's write lock, taken by an empty UPDATE, does the same.
 *
 * Service accounts: those whose password file is in `<dir>/service/` (`admin broker files` makes
 * them; --instances decides how many).
 */
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { sql } from "kysely";
import { mosquittoPasswordHash } from "../auth/mosquitto-password.js";
import { dialectOf, inTransaction, type Db, type Tx } from "../db/database.js";
import { listEnabledBrokerAccounts } from "../db/repositories/registers.js";
import { limits } from "../limits.js";
import { writeFileAtomically } from "./atomic-file.js";
import { REGISTER_ACCOUNTS_MAX, parseRegisterAccountCount, renderNatsAuthorization } from "./nats-cluster-files.js";
import { renderAclFile, renderPasswordFile, SERVICE_USERNAME_PREFIX, type BrokerRegisterAccount, type BrokerServiceAccount } from "./mosquitto-files.js";

/** How the broker learns of new files: SIGHUP to the pid in its pid_file, or a command (`systemctl reload mosquitto`). */
export type BrokerReload = { readonly pidFile: string } | { readonly command: string };

export interface BrokerFilesOptions {
  /** The directory `admin broker files --out` wrote (passwd, acl, service/). */
  readonly dir: string;
  /** Absent: the files are rewritten and the broker is left to be reloaded by someone else. */
  readonly reload?: BrokerReload;
}

export interface BrokerAccessFiles {
  readonly passwordFile: string;
  readonly aclFile: string;
  readonly registers: number;
  /** Enabled registers left out: no broker password (enrolled before migration 0003). */
  readonly registersWithoutBrokerPassword: readonly string[];
  readonly services: readonly string[];
}

/** Advisory lock key for "rewriting the broker files" (any constant shared by every process). */
const BROKER_FILES_LOCK_KEY = 0x636f_6465_7061; // "codepa", below 2^53
const SERVICE_FILE_PATTERN = new RegExp(`^(${SERVICE_USERNAME_PREFIX}\\d+)\\.password$`);
/** The broker (user mosquitto) must read passwd and acl: 0640 with group mosquitto in deployment (docs/deploy). */
export const BROKER_ACCESS_FILE_MODE = 0o640;

export function servicePasswordFile(dir: string, username: string): string {
  return join(resolve(dir), "service", `${username}.password`);
}

function discoverServiceUsernames(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(resolve(dir), "service"));
  } catch (error) {
    throw new Error(`broker files ${dir}: no service/ directory (${(error as NodeJS.ErrnoException).code ?? String(error)}); run \`codepay-server admin broker files --out ${dir}\` once first`);
  }
  const usernames = names.flatMap((name) => SERVICE_FILE_PATTERN.exec(name)?.[1] ?? []).sort((a, b) => Number(a.slice(SERVICE_USERNAME_PREFIX.length)) - Number(b.slice(SERVICE_USERNAME_PREFIX.length)));
  // No service account would lock every server instance out of the broker: refuse instead.
  if (usernames.length === 0) throw new Error(`broker files ${dir}: no service/codepay-server-N.password; run \`codepay-server admin broker files --out ${dir}\` once first`);
  if (usernames.length > limits.brokerServiceAccountsMax) throw new Error(`broker files ${dir}: more than ${limits.brokerServiceAccountsMax} service accounts`);
  return usernames;
}

async function serviceAccounts(dir: string, usernames: readonly string[]): Promise<BrokerServiceAccount[]> {
  const accounts: BrokerServiceAccount[] = [];
  for (const username of usernames) {
    const file = servicePasswordFile(dir, username);
    let password: string;
    try {
      password = readFileSync(file, "utf8").trim();
    } catch (error) {
      throw new Error(`service password ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (password === "") throw new Error(`service password ${file} is empty`);
    accounts.push({ username, brokerPasswordHash: await mosquittoPasswordHash(password) });
  }
  return accounts;
}

/** Serializes rewrites across processes until the transaction ends (see the header). */
async function lockBrokerFiles(db: Db, tx: Tx): Promise<void> {
  if (dialectOf(db) === "postgres") await sql`select pg_advisory_xact_lock(${BROKER_FILES_LOCK_KEY})`.execute(tx);
  // SQLite: a write statement (even one matching no row) takes the database's write lock until commit.
  else await sql`update registers set disabled = disabled where 0 = 1`.execute(tx);
}

/**
 * Regenerates `<dir>/passwd` and `<dir>/acl` from the enabled registers. `serviceUsernames`: the
 * service accounts to name (default: every password file in `<dir>/service/`).
 */
export async function rewriteBrokerAccessFiles(db: Db, dir: string, serviceUsernames?: readonly string[]): Promise<BrokerAccessFiles> {
  const out = resolve(dir);
  const usernames = serviceUsernames ?? discoverServiceUsernames(out);
  const services = await serviceAccounts(out, usernames); // hashed before the lock: it is held only for the read and the renames
  const passwordFile = join(out, "passwd");
  const aclFile = join(out, "acl");
  return inTransaction(db, async (tx) => {
    await lockBrokerFiles(db, tx);
    const registers: BrokerRegisterAccount[] = [];
    const registersWithoutBrokerPassword: string[] = [];
    for (const account of await listEnabledBrokerAccounts(tx)) {
      if (account.brokerPasswordHash === undefined) registersWithoutBrokerPassword.push(account.registerId);
      else registers.push({ registerId: account.registerId, storeId: account.storeId, brokerPasswordHash: account.brokerPasswordHash });
    }
    // ACL first: a register in passwd but not yet in the ACL is refused every topic, never given another's.
    writeFileAtomically(aclFile, renderAclFile(registers, services), BROKER_ACCESS_FILE_MODE);
    writeFileAtomically(passwordFile, renderPasswordFile(registers, services), BROKER_ACCESS_FILE_MODE);
    return { passwordFile, aclFile, registers: registers.length, registersWithoutBrokerPassword, services: usernames };
  });
}

/** The file every cluster node includes (`admin broker files --broker nats`). */
export const NATS_AUTHORIZATION_FILE = "nats-authorization.conf";
/** Beside it: the server instances' names, one a line, so later rewrites name the same ones. */
export const NATS_INSTANCES_FILE = "nats-instances";
/** Beside it: how many register accounts the registers are split over (one integer). */
export const NATS_ACCOUNTS_FILE = "nats-accounts";

/** The register accounts' count of a cluster directory: 1 when the file is absent (directories made before accounts). */
function clusterAccounts(dir: string): number {
  let text: string;
  try {
    text = readFileSync(join(resolve(dir), NATS_ACCOUNTS_FILE), "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 1;
    throw error;
  }
  const accounts = parseRegisterAccountCount(text);
  if (accounts === undefined) throw new Error(`broker files ${dir}: ${NATS_ACCOUNTS_FILE} holds no account count (an integer 1-${REGISTER_ACCOUNTS_MAX})`);
  return accounts;
}

/** The instances of a cluster directory, or undefined when `dir` is a mosquitto one. */
function clusterServices(dir: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(join(resolve(dir), NATS_INSTANCES_FILE), "utf8");
  } catch {
    return undefined;
  }
  const names = text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  if (names.length === 0 || names.some((name) => !SERVICE_FILE_PATTERN.test(`${name}.password`))) throw new Error(`broker files ${dir}: ${NATS_INSTANCES_FILE} names no server instance (codepay-server-N, one a line)`);
  return names;
}

/**
 * The cluster's users from the enabled registers (certificates, so no password hash is needed), under
 * the same lock as the mosquitto files; returns how many registers it names.
 */
export async function rewriteClusterAuthorization(db: Db, file: string, services: readonly string[], accounts: number): Promise<number> {
  return inTransaction(db, async (tx) => {
    await lockBrokerFiles(db, tx);
    const registers = (await listEnabledBrokerAccounts(tx)).map((account) => ({ registerId: account.registerId, storeId: account.storeId }));
    writeFileAtomically(file, renderNatsAuthorization(registers, services, accounts), BROKER_ACCESS_FILE_MODE);
    return registers.length;
  });
}

function signalFromPidFile(pidFile: string): void {
  let text: string;
  try {
    text = readFileSync(pidFile, "utf8").trim();
  } catch (error) {
    throw new Error(`broker pid file ${pidFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (is mosquitto running with pid_file ${pidFile}?)`);
  }
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new Error(`broker pid file ${pidFile} does not hold a process id`);
  try {
    process.kill(Number(text), "SIGHUP");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") throw new Error(`broker pid file ${pidFile}: no process ${text} (stale pid file?)`);
    if (code === "EPERM") throw new Error(`broker pid file ${pidFile}: not allowed to signal process ${text} (another user's; use --broker-reload-command instead)`);
    throw error;
  }
}

function runReloadCommand(command: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile("/bin/sh", ["-c", command], { timeout: limits.brokerReloadCommandTimeoutMs }, (error, _stdout, stderr) => {
      if (error === null) resolvePromise();
      else reject(new Error(`broker reload command ${JSON.stringify(command)} failed: ${error.killed ? "timed out" : `exit ${String(error.code)}`} ${stderr.trim().slice(0, 500)}`.trim()));
    });
  });
}

export async function reloadBroker(reload: BrokerReload): Promise<void> {
  if ("pidFile" in reload) signalFromPidFile(reload.pidFile);
  else await runReloadCommand(reload.command);
}

/**
 * One rewrite and reload: mosquitto's passwd and acl, or, in a directory `admin broker files --broker
 * nats` made, the cluster's authorization (named in both file fields; certificates need no passwords).
 */
export async function syncBrokerFiles(db: Db, options: BrokerFilesOptions): Promise<BrokerAccessFiles> {
  const services = clusterServices(options.dir);
  const authorizationFile = join(resolve(options.dir), NATS_AUTHORIZATION_FILE);
  const files =
    services === undefined
      ? await rewriteBrokerAccessFiles(db, options.dir)
      : { passwordFile: authorizationFile, aclFile: authorizationFile, registers: await rewriteClusterAuthorization(db, authorizationFile, services, clusterAccounts(options.dir)), registersWithoutBrokerPassword: [], services };
  if (options.reload !== undefined) await reloadBroker(options.reload);
  return files;
}

/**
 * A server instance's rewrites: one at a time, and callers arriving while one runs share the next
 * (which reads the table after their change), so a burst of pairings costs two rewrites, not N.
 */
export class BrokerFilesSync {
  private running: Promise<BrokerAccessFiles> | undefined;
  private next: Promise<BrokerAccessFiles> | undefined;

  constructor(
    private readonly db: Db,
    private readonly options: BrokerFilesOptions,
  ) {}

  /** Resolves once files read after this call are in place and the broker was told to reload. */
  sync(): Promise<BrokerAccessFiles> {
    if (this.next !== undefined) return this.next;
    if (this.running === undefined) return this.start();
    this.next = this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<BrokerAccessFiles> {
    const run = syncBrokerFiles(this.db, this.options).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
