/**
 * `admin broker files`: what an external mosquitto needs so several server instances can share it
 * (broker/mosquitto-files.ts). Rewrites the files from the database each time, so run it after
 * enrolling, pairing or disabling a register and reload the broker (`systemctl reload mosquitto`,
 * SIGHUP: mosquitto re-reads the password and ACL files). Service passwords are made once and kept
 * in `<out>/service/<user>.password` (mode 0600), the file each instance's --broker-password-file names.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { mosquittoPasswordHash } from "../auth/mosquitto-password.js";
import { listEnabledBrokerAccounts } from "../db/repositories/registers.js";
import {
  renderAclFile,
  renderBrokerConfig,
  renderPasswordFile,
  serviceUsername,
  type BrokerRegisterAccount,
  type BrokerServiceAccount,
  type BrokerTlsListener,
} from "../broker/mosquitto-files.js";
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
}

export interface BrokerFilesOutput {
  readonly passwordFile: string;
  readonly aclFile: string;
  readonly configFile: string;
  readonly registers: number;
  /** Enrolled before the broker hash existed: enroll or pair them again to reach the external broker. */
  readonly registersWithoutBrokerPassword: readonly string[];
  readonly services: readonly { readonly username: string; readonly passwordFile: string }[];
}

export const BROKER_INSTANCES_MAX = 64;

/** Written beside, then renamed: the broker never reads a half-written file. */
function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

function servicePassword(path: string): string {
  if (existsSync(path)) {
    const password = readFileSync(path, "utf8").trim();
    if (password.length >= 16) return password;
  }
  const password = randomBytes(24).toString("base64url");
  writeAtomically(path, `${password}\n`, 0o600);
  return password;
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
  const out = resolve(input.out);
  mkdirSync(join(out, "service"), { recursive: true, mode: 0o700 });
  const accounts = await withDatabase(input.dataDir, (db) => listEnabledBrokerAccounts(db));
  const registers: BrokerRegisterAccount[] = [];
  const registersWithoutBrokerPassword: string[] = [];
  for (const account of accounts) {
    if (account.brokerPasswordHash === undefined) registersWithoutBrokerPassword.push(account.registerId);
    else registers.push({ registerId: account.registerId, storeId: account.storeId, brokerPasswordHash: account.brokerPasswordHash });
  }
  const services: (BrokerServiceAccount & { passwordFile: string })[] = [];
  for (let instance = 1; instance <= input.instances; instance += 1) {
    const username = serviceUsername(instance);
    const passwordFile = join(out, "service", `${username}.password`);
    services.push({ username, passwordFile, brokerPasswordHash: await mosquittoPasswordHash(servicePassword(passwordFile)) });
  }
  const passwordFile = join(out, "passwd");
  const aclFile = join(out, "acl");
  const configFile = join(out, "codepay.conf");
  // The broker (user mosquitto) must read passwd and acl: 0640, group mosquitto in deployment (docs/deploy).
  writeAtomically(passwordFile, renderPasswordFile(registers, services), 0o640);
  writeAtomically(aclFile, renderAclFile(registers, services), 0o640);
  writeAtomically(configFile, renderBrokerConfig({ passwordFile, aclFile }, { port: input.port, host: input.host }, tlsListener(input.tls)), 0o644);
  return {
    passwordFile,
    aclFile,
    configFile,
    registers: registers.length,
    registersWithoutBrokerPassword,
    services: services.map(({ username, passwordFile: file }) => ({ username, passwordFile: file })),
  };
}
