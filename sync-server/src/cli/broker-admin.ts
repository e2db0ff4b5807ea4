/** `admin broker files`: an external mosquitto's password file, ACL and config from the register database. */
import { resolve } from "node:path";
import { writeBrokerFiles, writeClusterBrokerFiles } from "../admin/broker-commands.js";
import { REGISTER_ACCOUNTS_MAX } from "../broker/nats-cluster-files.js";
import type { AdminCommands } from "./admin-command.js";
import { BROKER_RELOAD, brokerReload } from "./broker-options.js";
import { dataDir, parse, port, positiveInt, print, required, text, UsageError } from "./cli-args.js";

/** Registers enrolled before migration 0003 have only the scrypt hash: mosquitto cannot check them. */
export function leftOutWarning(registerIds: readonly string[]): string {
  return [
    `WARNING: ${registerIds.length} enabled register(s) left out of the broker's password file, so they cannot connect to it: ${registerIds.join(", ")}`,
    "  They have no broker password: enrolled before migration 0003 (only hashes are stored, so none can be made from the old password),",
    "  or made by `admin register pair` and not paired yet (pairing adds them by itself).",
    "  Give each a new password, then put it in that register's agent config:",
    "    codepay-server admin register enroll --store STORE --id REGISTER --name NAME --broker-files DIR   (prints the new password), or",
    "    codepay-server admin register pair --store STORE --id REGISTER --name NAME, then on the register: codepay-agent pair CODE --server URL --config agent.json",
  ].join("\n");
}

/** The external broker's files. */
export const BROKER_COMMANDS: AdminCommands = {
  "broker files": async (rest, io) => {
    const { values } = parse(rest, {
      out: { type: "string" },
      instances: { type: "string" },
      accounts: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "tls-port": { type: "string" },
      "tls-host": { type: "string" },
      "tls-ca": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      broker: { type: "string" },
      ...BROKER_RELOAD,
    });
    const flavour = text(values, "broker") ?? "mosquitto";
    if (flavour === "nats") {
      const reloadNodes = brokerReload(values, io);
      const cluster = await writeClusterBrokerFiles({
        dataDir: dataDir(values, io),
        out: required(values, "out"),
        instances: positiveInt(text(values, "instances"), "instances", 3, 64),
        accounts: positiveInt(text(values, "accounts"), "accounts", 1, REGISTER_ACCOUNTS_MAX),
        ...(reloadNodes !== undefined ? { reload: reloadNodes } : {}),
      });
      print(io, values["json"] === true, cluster, () =>
        [
          `cluster authorization ${cluster.authorizationFile} (${cluster.registers} registers in ${cluster.accounts} register account(s), ${cluster.services.length} server instances; include it from every node's config)`,
          cluster.reloaded ? "nodes reloaded" : "reload every node now (nats-server --signal reload)",
          ...cluster.services.map((service) => `serve --broker-username ${service} --broker-cluster-accounts ${cluster.accounts} (certificate: admin tls issue-register --register ${service})`),
        ].join("\n"),
      );
      return 0;
    }
    if (flavour !== "mosquitto") throw new UsageError(`--broker: expected mosquitto or nats (got ${flavour})`);
    const host = text(values, "host") ?? "0.0.0.0";
    const reload = brokerReload(values, io);
    const tlsPort = text(values, "tls-port");
    if (tlsPort === undefined && (values["tls-ca"] !== undefined || values["tls-cert"] !== undefined || values["tls-key"] !== undefined)) {
      throw new UsageError("--tls-ca, --tls-cert and --tls-key need --tls-port");
    }
    const tls =
      tlsPort === undefined
        ? undefined
        : { port: port(values, "tls-port", "CODEPAY_BROKER_TLS_PORT", io, 8883), host: text(values, "tls-host") ?? "0.0.0.0", caFile: required(values, "tls-ca"), certFile: required(values, "tls-cert"), keyFile: required(values, "tls-key") };
    const result = await writeBrokerFiles({
      dataDir: dataDir(values, io),
      out: required(values, "out"),
      instances: positiveInt(text(values, "instances"), "instances", 3, 64),
      port: port(values, "port", "CODEPAY_BROKER_PORT", io, 1883),
      host,
      ...(tls !== undefined ? { tls } : {}),
      ...(reload !== undefined ? { reload } : {}),
    });
    print(io, values["json"] === true, result, () =>
      [
        `password file ${result.passwordFile} (${result.registers} registers, ${result.services.length} server instances)`,
        `ACL file ${result.aclFile}`,
        `broker config ${result.configFile} (include it from /etc/mosquitto/conf.d/; ${result.reloaded ? "broker reloaded" : "reload mosquitto now"})`,
        ...result.services.map((service) => `serve --broker-username ${service.username} --broker-password-file ${service.passwordFile} --broker-files ${resolve(required(values, "out"))}`),
      ].join("\n"),
    );
    if (result.registersWithoutBrokerPassword.length > 0) io.stderr(leftOutWarning(result.registersWithoutBrokerPassword));
    return 0;
  },
};
