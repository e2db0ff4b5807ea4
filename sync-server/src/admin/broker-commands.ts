/**
 * `admin broker files`: what an external mosquitto needs so several server instances can share it
 * (broker/mosquitto-files.ts): run once to set the broker up, and again to change the listener or
 * the number of instances. Later register changes rewrite passwd and acl by themselves when the
 * server and the admin commands are given --broker-files DIR (broker/broker-files-sync.ts). Service
 * passwords are made once and kept in `<out>/service/<user>.password` (mode 0600), the file each
 * instance's --broker-password-file names.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderBrokerConfig, serviceUsername, SERVICE_USERNAME_PREFIX, type BrokerTlsListener } from "../broker/mosquitto-files.js";
import { writeFileAtomically } from "../broker/atomic-file.js";
import { REGISTER_ACCOUNTS_MAX, isRegisterAccountCount } from "../broker/nats-cluster-files.js";
import { NATS_ACCOUNTS_FILE, NATS_AUTHORIZATION_FILE, NATS_INSTANCES_FILE, reloadBroker, rewriteBrokerAccessFiles, rewriteClusterAuthorization, servicePasswordFile, syncBrokerFiles, type BrokerAccessFiles, type BrokerFilesOptions, type BrokerReload } from "../broker/broker-files-sync.js";
import { limits } from "../limits.js";
import { AdminError } from "./admin-error.js";
import { withDatabase } from "./admin-commands.js";

export interface BrokerFilesInput {
  readonly dataDir: string;
  readonly out: string;
  /** Server instances: one service account each. */
  readonly instances: number;
  readonly port: number;
  readonly host: string;
  /** A TLS listener for registers (client certificates from `admin tls`). */
  readonly tls?: BrokerTlsListener;
  /** Reload the broker once the files are written. */
  readonly reload?: BrokerReload;
}

export interface BrokerFilesOutput {
  readonly passwordFile: string;
  readonly aclFile: string;
  readonly configFile: string;
  readonly registers: number;
  /** Enrolled before the broker hash existed: enroll or pair them again to reach the external broker. */
  readonly registersWithoutBrokerPassword: readonly string[];
  readonly services: readonly { readonly username: string; readonly passwordFile: string }[];
  readonly reloaded: boolean;
}

export const BROKER_INSTANCES_MAX = limits.brokerServiceAccountsMax;

function ensureServicePassword(path: string): void {
  if (existsSync(path) && readFileSync(path, "utf8").trim().length >= 16) return;
  writeFileAtomically(path, `${randomBytes(24).toString("base64url")}\n`, 0o600);
}

/**
 * --instances N means accounts 1..N: a password file beyond N is set aside (`.retired`), so the
 * rewrites after register changes (which name every account in service/) do not bring it back.
 */
function retireServiceAccountsAbove(out: string, instances: number): string[] {
  const retired: string[] = [];
  for (const name of readdirSync(join(out, "service"))) {
    const match = new RegExp(`^${SERVICE_USERNAME_PREFIX}(\\d+)\\.password$`).exec(name);
    if (match === null || Number(match[1]) <= instances) continue;
    renameSync(join(out, "service", name), join(out, "service", `${name}.retired`));
    retired.push(name);
  }
  return retired;
}

function tlsListener(tls: BrokerTlsListener | undefined): BrokerTlsListener | undefined {
  if (tls === undefined) return undefined;
  for (const [what, file] of [["--tls-ca", tls.caFile], ["--tls-cert", tls.certFile], ["--tls-key", tls.keyFile]] as const) {
    if (!existsSync(file)) throw new AdminError("BAD_REQUEST", `${what} ${file}: no such file`);
  }
  return { ...tls, caFile: resolve(tls.caFile), certFile: resolve(tls.certFile), keyFile: resolve(tls.keyFile) };
}

export async function writeBrokerFiles(input: BrokerFilesInput): Promise<BrokerFilesOutput> {
  if (!Number.isInteger(input.instances) || input.instances < 1 || input.instances > BROKER_INSTANCES_MAX) {
    throw new AdminError("BAD_REQUEST", `--instances must be an integer 1-${BROKER_INSTANCES_MAX}`);
  }
  const tls = tlsListener(input.tls);
  const out = resolve(input.out);
  mkdirSync(join(out, "service"), { recursive: true, mode: 0o700 });
  const usernames = Array.from({ length: input.instances }, (_, index) => serviceUsername(index + 1));
  for (const username of usernames) ensureServicePassword(servicePasswordFile(out, username));
  retireServiceAccountsAbove(out, input.instances);
  const files = await withDatabase(input.dataDir, (db) => rewriteBrokerAccessFiles(db, out, usernames));
  const configFile = join(out, "codepay.conf");
  writeFileAtomically(configFile, renderBrokerConfig({ passwordFile: files.passwordFile, aclFile: files.aclFile }, { port: input.port, host: input.host }, tls), 0o644);
  if (input.reload !== undefined) await reloadBroker(input.reload);
  return {
    passwordFile: files.passwordFile,
    aclFile: files.aclFile,
    configFile,
    registers: files.registers,
    registersWithoutBrokerPassword: files.registersWithoutBrokerPassword,
    services: usernames.map((username) => ({ username, passwordFile: servicePasswordFile(out, username) })),
    reloaded: input.reload !== undefined,
  };
}

/**
 * After an admin command changed a register (enroll, enable, disable) with --broker-files: the
 * broker's passwd and acl are regenerated and the broker reloaded, in this process.
 */
export async function syncBrokerFilesAfterChange(dataDir: string, options: BrokerFilesOptions): Promise<BrokerAccessFiles> {
  return withDatabase(dataDir, (db) => syncBrokerFiles(db, options));
}

export interface ClusterFilesInput {
  readonly dataDir: string;
  readonly out: string;
  /** Server instances: one user each (codepay-server-1..N, the CN of its certificate). */
  readonly instances: number;
  /** Register accounts the registers are split over (each its own JetStream streams); default 1. */
  readonly accounts?: number;
  /** Reload every node once the file is written (`nats-server --signal reload`, or SIGHUP to its pid). */
  readonly reload?: BrokerReload;
}

export interface ClusterFilesOutput {
  /** The authorization every node's config includes. */
  readonly authorizationFile: string;
  readonly registers: number;
  readonly accounts: number;
  readonly services: readonly string[];
  readonly reloaded: boolean;
}

/**
 * `admin broker files --broker nats`: the cluster's users and permissions from the registers table
 * (broker/nats-cluster-files.ts). Every enabled register is a user named by its certificate; a
 * disabled one drops out, and the nodes disconnect it when they reload.
 */
export async function writeClusterBrokerFiles(input: ClusterFilesInput): Promise<ClusterFilesOutput> {
  if (!Number.isInteger(input.instances) || input.instances < 1 || input.instances > BROKER_INSTANCES_MAX) {
    throw new AdminError("BAD_REQUEST", `--instances must be an integer 1-${BROKER_INSTANCES_MAX}`);
  }
  const accounts = input.accounts ?? 1;
  if (!isRegisterAccountCount(accounts)) {
    throw new AdminError("BAD_REQUEST", `--accounts must be an integer 1-${REGISTER_ACCOUNTS_MAX}`);
  }
  const out = resolve(input.out);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const services = Array.from({ length: input.instances }, (_, index) => serviceUsername(index + 1));
  const authorizationFile = join(out, NATS_AUTHORIZATION_FILE);
  // Later rewrites (serve --broker-files, admin register ... --broker-files) read the instances and the account count from here.
  writeFileAtomically(join(out, NATS_INSTANCES_FILE), `${services.join("\n")}\n`, 0o644);
  writeFileAtomically(join(out, NATS_ACCOUNTS_FILE), `${String(accounts)}\n`, 0o644);
  const registers = await withDatabase(input.dataDir, (db) => rewriteClusterAuthorization(db, authorizationFile, services, accounts));
  if (input.reload !== undefined) await reloadBroker(input.reload);
  return { authorizationFile, registers, accounts, services, reloaded: input.reload !== undefined };
}
