/** The external broker's options, shared by serve, the register commands and `admin broker files`. */
import { syncBrokerFilesAfterChange } from "../admin/broker-commands.js";
import type { BrokerFilesOptions, BrokerReload } from "../broker/broker-files-sync.js";
import { REGISTER_ACCOUNTS_MAX, parseRegisterAccountCount } from "../broker/nats-cluster-files.js";
import { SHARE_GROUP_DEFAULT } from "../broker/external-register-line.js";
import type { ServerBrokerOptions, ServerClusterOptions } from "../server.js";
import { dataDir, readSecretFile, text, UsageError, type CliIo, type Options, type Values } from "./cli-args.js";

/** Reload options shared by serve, the register commands and `broker files`. */
export const BROKER_RELOAD: Options = { "broker-reload-pid-file": { type: "string" }, "broker-reload-command": { type: "string" } };

export const BROKER_FILES: Options = { "broker-files": { type: "string" }, ...BROKER_RELOAD };

/** --broker-url with its service account (env CODEPAY_BROKER_URL, ...): an external broker instead of aedes. */
export function brokerOptions(values: Values, io: CliIo): ServerBrokerOptions | undefined {
  const url = text(values, "broker-url", "CODEPAY_BROKER_URL", io);
  const username = text(values, "broker-username", "CODEPAY_BROKER_USERNAME", io);
  const passwordFile = text(values, "broker-password-file", "CODEPAY_BROKER_PASSWORD_FILE", io);
  const group = text(values, "broker-group", "CODEPAY_BROKER_GROUP", io);
  const ca = text(values, "broker-ca", "CODEPAY_BROKER_CA", io);
  const registerUrl = text(values, "register-mqtt-url", "CODEPAY_REGISTER_MQTT_URL", io);
  if (url === undefined) {
    if (username !== undefined || passwordFile !== undefined || group !== undefined || ca !== undefined || registerUrl !== undefined) {
      throw new UsageError("broker options need --broker-url");
    }
    return undefined;
  }
  if (!/^mqtts?:\/\//.test(url)) throw new UsageError("--broker-url must be mqtt://host:port or mqtts://host:port");
  if (username === undefined || passwordFile === undefined) throw new UsageError("--broker-url needs --broker-username and --broker-password-file (from admin broker files)");
  return {
    url,
    username,
    password: readSecretFile("--broker-password-file", passwordFile),
    group: group ?? SHARE_GROUP_DEFAULT,
    ...(ca !== undefined ? { ca } : {}),
    ...(registerUrl !== undefined ? { registerUrl } : {}),
  };
}

export function brokerReload(values: Values, io: CliIo): BrokerReload | undefined {
  const pidFile = text(values, "broker-reload-pid-file", "CODEPAY_BROKER_RELOAD_PID_FILE", io);
  const command = text(values, "broker-reload-command", "CODEPAY_BROKER_RELOAD_COMMAND", io);
  if (pidFile !== undefined && command !== undefined) throw new UsageError("give --broker-reload-pid-file or --broker-reload-command, not both");
  if (pidFile === "" || command === "") throw new UsageError("--broker-reload-pid-file and --broker-reload-command must not be empty");
  return pidFile !== undefined ? { pidFile } : command !== undefined ? { command } : undefined;
}

/** --broker-files DIR (CODEPAY_BROKER_FILES) with its reload: where an external broker's files live. */
export function brokerFilesOptions(values: Values, io: CliIo): BrokerFilesOptions | undefined {
  const dir = text(values, "broker-files", "CODEPAY_BROKER_FILES", io);
  const reload = brokerReload(values, io);
  if (dir === undefined || dir === "") {
    if (reload !== undefined) throw new UsageError("--broker-reload-pid-file and --broker-reload-command need --broker-files DIR");
    return undefined;
  }
  return { dir, ...(reload !== undefined ? { reload } : {}) };
}

/**
 * The register change is committed; now the broker's files. A failure leaves the change in place and
 * exits 1 saying how to finish (the same command again is safe with the same --request-id).
 */
export async function syncBrokerAfterChange(values: Values, io: CliIo, what: string): Promise<number> {
  const options = brokerFilesOptions(values, io);
  if (options === undefined) return 0;
  try {
    const files = await syncBrokerFilesAfterChange(dataDir(values, io), options);
    if (values["json"] !== true) io.stdout(`broker files ${options.dir} rewritten (${files.registers} registers)${options.reload !== undefined ? ", broker reloaded" : "; reload the broker"}`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`codepay-server: ${what} is done, but the broker was not brought up to date (files in ${options.dir}): ${message}. After fixing that, run \`codepay-server admin broker files --out ${options.dir}\` and reload the broker, or this command again with the same --request-id`);
    return 1;
  }
}

function urlList(value: string, flag: string, pattern: RegExp): string[] {
  const urls = value.split(",").map((url) => url.trim()).filter((url) => url !== "");
  if (urls.length === 0 || urls.some((url) => !pattern.test(url))) throw new UsageError(`${flag}: expected a comma-separated list of ${String(pattern)} urls`);
  return urls;
}

/**
 * --broker-cluster-nats/-mqtt/-accounts (env CODEPAY_BROKER_CLUSTER_NATS, ...): the registers' line
 * on a nats-server cluster. The instance connects to the NATS urls only; the MQTT urls are where the
 * registers connect (printed, and handed out at pairing).
 */
export function clusterOptions(values: Values, io: CliIo): ServerClusterOptions | undefined {
  const nats = text(values, "broker-cluster-nats", "CODEPAY_BROKER_CLUSTER_NATS", io);
  const mqttUrls = text(values, "broker-cluster-mqtt", "CODEPAY_BROKER_CLUSTER_MQTT", io);
  if (nats === undefined && mqttUrls === undefined) return undefined;
  if (nats === undefined || mqttUrls === undefined) throw new UsageError("a cluster needs both --broker-cluster-nats (the nodes' NATS listeners, for the instances) and --broker-cluster-mqtt (their MQTT listeners, for the registers)");
  const accounts = parseRegisterAccountCount(text(values, "broker-cluster-accounts", "CODEPAY_BROKER_CLUSTER_ACCOUNTS", io) ?? "1");
  if (accounts === undefined) throw new UsageError(`--broker-cluster-accounts: expected an integer 1-${REGISTER_ACCOUNTS_MAX} (the count in nats-accounts, written by admin broker files --broker nats)`);
  const name = text(values, "broker-username", "CODEPAY_BROKER_USERNAME", io);
  const ca = text(values, "broker-ca", "CODEPAY_BROKER_CA", io);
  const cert = text(values, "broker-cert", "CODEPAY_BROKER_CERT", io);
  const key = text(values, "broker-key", "CODEPAY_BROKER_KEY", io);
  if (name === undefined || ca === undefined || cert === undefined || key === undefined) {
    throw new UsageError("--broker-cluster-nats needs --broker-username codepay-server-N and its certificate: --broker-ca, --broker-cert, --broker-key (admin tls issue-register --register codepay-server-N)");
  }
  return {
    natsUrls: urlList(nats, "--broker-cluster-nats", /^(nats|tls):\/\/.+/),
    mqttUrls: urlList(mqttUrls, "--broker-cluster-mqtt", /^mqtts?:\/\/.+/),
    accounts,
    name,
    group: text(values, "broker-group", "CODEPAY_BROKER_GROUP", io) ?? SHARE_GROUP_DEFAULT,
    ca,
    cert,
    key,
  };
}
