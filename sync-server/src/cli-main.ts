/**
 * `codepay-server serve` and `codepay-server admin ...` (docs/contracts.md). Exit codes: 0 done,
 * 1 refused (not found, mismatch, failure), 2 bad usage. runCli is separate from the entry file so
 * tests can run it in-process. The commands live in cli/: serve-command.ts and one table of admin
 * commands per topic; a new admin command is an entry in a table and a line of USAGE.
 */
import { AdminError } from "./admin/admin-error.js";
import type { AdminCommand } from "./cli/admin-command.js";
import { BROKER_COMMANDS } from "./cli/broker-admin.js";
import { UsageError, type CliIo } from "./cli/cli-args.js";
import { LEDGER_COMMANDS } from "./cli/ledger-admin.js";
import { REGISTER_COMMANDS } from "./cli/register-admin.js";
import { OPERATOR_COMMANDS } from "./cli/operator-admin.js";
import { SECURITY_COMMANDS } from "./cli/security-admin.js";
import { serve } from "./cli/serve-command.js";

export type { CliIo } from "./cli/cli-args.js";

const USAGE = `usage:
  codepay-server serve [--data-dir ./data] [--host 127.0.0.1] [--mqtt-port 1883] [--http-port 8080]
                       [--gateway-port 8081] [--code-ttl-s 120] [--code-digits 6]
                       [--operator-port 8082] [--operator-host 127.0.0.1] [--operator-token-file F]   (/metrics, /health)
                       [--pin-above-minor N] [--sandbox]
                       [--mqtt-tls-port 8883 --tls-cert F --tls-key F [--tls-ca F --require-client-cert] [--mqtt-tls-only]]
                       [--https --tls-cert F --tls-key F [--tls-ca F]] [--no-http-rate-limits]
                       [--gateway-hop in-process|http]   (how the carrier gateway reaches the shopper API)
                       [--broker-url mqtt://HOST:1883 --broker-username codepay-server-N --broker-password-file F
                        [--broker-group codepay] [--broker-ca F] [--register-mqtt-url URL]   (external broker, several instances)
                        [--broker-files DIR [--broker-reload-pid-file F | --broker-reload-command CMD]]]   (rewritten after pairings)
                       [--broker-cluster-nats nats://N1:4222,... --broker-cluster-mqtt mqtts://N1:8883,... [--broker-cluster-accounts 1]
                        --broker-username codepay-server-N --broker-ca F --broker-cert F --broker-key F [--broker-group codepay]]
                                                          (nats-server cluster, docs/deploy/broker-cluster.md)
  codepay-server admin store create --id ID --name NAME --currency CUR
  codepay-server admin register enroll --store ID --id ID --name NAME [--mqtt-url URL] [BROKER-FILES]
  codepay-server admin register pair --store ID --id ID --name NAME [--ttl-s 600]   (one-time pairing code)
  codepay-server admin register disable|enable --id ID [BROKER-FILES]
  codepay-server admin registers [--store ID]   (fleet health: online/offline, last seen, agent version, devices)
      BROKER-FILES: --broker-files DIR [--broker-reload-pid-file F | --broker-reload-command CMD]
      (env CODEPAY_BROKER_FILES, ...): rewrite an external mosquitto's passwd and acl and reload it
  codepay-server admin operator create --username U --role admin|store [--store ID]   (console account; prints its password once)
  codepay-server admin operator password|disable|enable --username U
  codepay-server admin operators
  codepay-server admin user enroll --id ID --name NAME --phone +E164 [--carrier demo-carrier]
  codepay-server admin topup --user ID --amount MAJOR --currency CUR --request-id ID
  codepay-server admin balances
  codepay-server admin payments [--limit 50]
  codepay-server admin demo-seed
  codepay-server admin user set-pin --user ID --pin 1234
  codepay-server admin carrier add --id ID
  codepay-server admin carrier rotate --id ID [--retire-old]
  codepay-server admin card enroll --user ID --pan PAN      (stores only a keyed hash and the last 4)
  codepay-server admin tls ca --out DIR                       (DIR/ca.crt, DIR/ca.key; openssl)
  codepay-server admin tls issue-register --ca DIR --register R --out DIR   (CN=R: R.crt, R.key)
  codepay-server admin tls issue-server --ca DIR --host H --out DIR         (server.crt, server.key)
  codepay-server admin broker files --out DIR [--instances 3] [--port 1883] [--host 0.0.0.0]   (mosquitto passwd, acl, conf)
  codepay-server admin broker files --broker nats --out DIR [--instances 3] [--accounts 1] [--broker-reload-command CMD]
                                                              (nats-server cluster: nats-authorization.conf)
                                    [--broker-reload-pid-file F | --broker-reload-command CMD]
                                    [--tls-port 8883 [--tls-host 0.0.0.0] --tls-ca ca.crt --tls-cert server.crt --tls-key server.key]   (registers on TLS)
  codepay-server admin verify          (exit 1 naming each violated invariant)
every admin command takes --data-dir DIR (default ./data) and --json; every command that changes
something takes --request-id ID (required for topup): the same id again returns the first result.
DATABASE_URL=postgres://... selects PostgreSQL instead of DIR/codepay.sqlite (serve and admin alike).`;

const ADMIN_COMMANDS: ReadonlyMap<string, AdminCommand> = new Map(
  Object.entries({ ...LEDGER_COMMANDS, ...REGISTER_COMMANDS, ...OPERATOR_COMMANDS, ...SECURITY_COMMANDS, ...BROKER_COMMANDS }),
);

/** `admin WORD ...` or `admin WORD WORD ...`: the longest command the words name. */
async function admin(args: string[], io: CliIo): Promise<number> {
  for (const words of [2, 1]) {
    const command = ADMIN_COMMANDS.get(args.slice(0, words).join(" "));
    if (command !== undefined && args.length >= words) return command(args.slice(words), io);
  }
  throw new UsageError(`unknown admin command ${JSON.stringify(args.slice(0, 2).join(" "))}`);
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes("--json");
  try {
    if (command === undefined || command === "--help" || command === "help" || rest.includes("--help")) {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "serve") return await serve(rest, io);
    if (command === "admin") return await admin(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (error) {
    const usage = error instanceof UsageError || (error instanceof AdminError && error.code === "BAD_REQUEST");
    const code = error instanceof AdminError ? error.code : usage ? "BAD_REQUEST" : "INTERNAL";
    const message = error instanceof Error ? error.message : String(error);
    if (json) io.stdout(JSON.stringify({ error: { code, message } }));
    io.stderr(`codepay-server: ${message}${error instanceof UsageError ? `\n${USAGE}` : ""}`);
    return usage ? 2 : 1;
  }
}
