/**
 * `codepay-server serve` and `codepay-server admin ...` (docs/contracts.md). Exit codes: 0 done,
 * 1 refused (not found, mismatch, failure), 2 bad usage. runCli is separate from the entry file so
 * tests can run it in-process.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { AdminError } from "./admin/admin-error.js";
import { balances, createStore, enrollRegister, enrollUser, listPayments, topUp, verify } from "./admin/admin-commands.js";
import { demoSeed } from "./admin/demo-seed.js";
import { enrollCard } from "./admin/card-commands.js";
import { addCarrier, rotateCarrier, setUserPin } from "./admin/security-commands.js";
import { pairRegister, setRegisterEnabled } from "./admin/register-commands.js";
import { createTlsCa, issueRegisterCert, issueServerCert } from "./admin/tls-commands.js";
import { syncBrokerFilesAfterChange, writeBrokerFiles } from "./admin/broker-commands.js";
import type { BrokerFilesOptions, BrokerReload } from "./broker/broker-files-sync.js";
import { SHARE_GROUP_DEFAULT } from "./broker/external-register-line.js";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createLogger } from "./logger.js";
import { CODE_RANDOM_DIGITS_DEFAULT, CODE_RANDOM_DIGITS_MAX, isCurrencyCode, parseMajorAmount } from "@codepay/contract";
import { startServer, type GatewayHop, type RunningServer, type ServerBrokerOptions, type ServerHttpsOptions, type ServerOperatorOptions, type ServerTlsOptions } from "./server.js";

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** serve: called once the server listens, with a function that stops it (signal handling lives in cli.ts). */
  readonly onServing?: (server: RunningServer) => void;
}

class UsageError extends Error {}

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
  codepay-server admin store create --id ID --name NAME --currency CUR
  codepay-server admin register enroll --store ID --id ID --name NAME [--mqtt-url URL] [BROKER-FILES]
  codepay-server admin register pair --store ID --id ID --name NAME [--ttl-s 600]   (one-time pairing code)
  codepay-server admin register disable|enable --id ID [BROKER-FILES]
      BROKER-FILES: --broker-files DIR [--broker-reload-pid-file F | --broker-reload-command CMD]
      (env CODEPAY_BROKER_FILES, ...): rewrite an external mosquitto's passwd and acl and reload it
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
                                    [--broker-reload-pid-file F | --broker-reload-command CMD]
                                    [--tls-port 8883 [--tls-host 0.0.0.0] --tls-ca ca.crt --tls-cert server.crt --tls-key server.key]   (registers on TLS)
  codepay-server admin verify          (exit 1 naming each violated invariant)
every admin command takes --data-dir DIR (default ./data) and --json; every command that changes
something takes --request-id ID (required for topup): the same id again returns the first result.
DATABASE_URL=postgres://... selects PostgreSQL instead of DIR/codepay.sqlite (serve and admin alike).`;

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | undefined>;

const COMMON: Options = { "data-dir": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } };
/** Mutating admin commands take an idempotency key: the same id again returns the first result. */
const MUTATING: Options = { "request-id": { type: "string" } };

function requestIdOf(values: Values): { requestId?: string } {
  const value = values["request-id"];
  return typeof value === "string" ? { requestId: value } : {};
}

function parse(args: string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function text(values: Values, name: string, env?: string, io?: CliIo): string | undefined {
  const value = values[name];
  if (typeof value === "string") return value;
  return env !== undefined ? io?.env[env] : undefined;
}

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

function port(values: Values, name: string, env: string, io: CliIo, fallback: number): number {
  const raw = text(values, name, env, io);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new UsageError(`--${name} must be a port number 0-65535`);
  return value;
}

function positiveInt(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UsageError(`--${name} must be an integer 1-${max}`);
  return value;
}

/** `--code-digits`: the fewest random digits a code has (the server lengthens codes up to CODE_RANDOM_DIGITS_MAX). */
function codeDigitsMin(raw: string | undefined): number {
  const digits = positiveInt(raw, "code-digits", CODE_RANDOM_DIGITS_DEFAULT, CODE_RANDOM_DIGITS_MAX);
  // The allocator needs at least 3 (payments/code-allocator.ts); fewer would crash the first payment.
  if (digits < 3) throw new UsageError(`--code-digits must be an integer 3-${CODE_RANDOM_DIGITS_MAX}`);
  return digits;
}

function dataDir(values: Values, io: CliIo): string {
  return text(values, "data-dir", "CODEPAY_DATA_DIR", io) ?? "./data";
}

function pinThreshold(raw: string | undefined): { pinThresholdMinor?: number } {
  if (raw === undefined) return {};
  return { pinThresholdMinor: positiveInt(raw, "pin-above-minor", 0, 1_000_000_000_000) };
}

/** --mqtt-tls-port with --tls-cert/--tls-key (env CODEPAY_MQTT_TLS_PORT, CODEPAY_TLS_CERT, ...). */
function tlsOptions(values: Values, io: CliIo): ServerTlsOptions | undefined {
  const rawPort = text(values, "mqtt-tls-port", "CODEPAY_MQTT_TLS_PORT", io);
  const cert = text(values, "tls-cert", "CODEPAY_TLS_CERT", io);
  const key = text(values, "tls-key", "CODEPAY_TLS_KEY", io);
  const ca = text(values, "tls-ca", "CODEPAY_TLS_CA", io);
  const requireClientCert = values["require-client-cert"] === true || io.env["CODEPAY_REQUIRE_CLIENT_CERT"] === "1";
  const only = values["mqtt-tls-only"] === true || io.env["CODEPAY_MQTT_TLS_ONLY"] === "1";
  if (rawPort === undefined) {
    if (requireClientCert || only) throw new UsageError("--require-client-cert and --mqtt-tls-only need --mqtt-tls-port");
    if ((cert !== undefined || key !== undefined || ca !== undefined) && !httpsWanted(values, io)) throw new UsageError("TLS options need --mqtt-tls-port or --https");
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new UsageError("--mqtt-tls-port needs --tls-cert and --tls-key");
  if (requireClientCert && ca === undefined) throw new UsageError("--require-client-cert needs --tls-ca (the CA that signs register certificates)");
  return { port: port(values, "mqtt-tls-port", "CODEPAY_MQTT_TLS_PORT", io, 8883), cert, key, ...(ca !== undefined ? { ca } : {}), requireClientCert, only };
}

function httpsWanted(values: Values, io: CliIo): boolean {
  return values["https"] === true || io.env["CODEPAY_HTTPS"] === "1";
}

/** --https (CODEPAY_HTTPS=1): the shopper API and the gateway on HTTPS with the same --tls-cert/--tls-key. */
function httpsOptions(values: Values, io: CliIo): ServerHttpsOptions | undefined {
  if (!httpsWanted(values, io)) return undefined;
  const cert = text(values, "tls-cert", "CODEPAY_TLS_CERT", io);
  const key = text(values, "tls-key", "CODEPAY_TLS_KEY", io);
  const ca = text(values, "tls-ca", "CODEPAY_TLS_CA", io);
  if (cert === undefined || key === undefined) throw new UsageError("--https needs --tls-cert and --tls-key");
  return { cert, key, ...(ca !== undefined ? { ca } : {}) };
}

function readSecretFile(what: string, file: string): string {
  try {
    const value = readFileSync(file, "utf8").trim();
    if (value === "") throw new UsageError(`${what} ${file} is empty`);
    return value;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** --broker-url with its service account (env CODEPAY_BROKER_URL, ...): an external broker instead of aedes. */
function brokerOptions(values: Values, io: CliIo): ServerBrokerOptions | undefined {
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

/**
 * The operator listener's address and token: --operator-host (CODEPAY_OPERATOR_HOST, default 127.0.0.1
 * whatever --host says), --operator-token-file F (CODEPAY_OPERATOR_TOKEN_FILE) or CODEPAY_OPERATOR_TOKEN.
 */
function operatorOptions(values: Values, io: CliIo): ServerOperatorOptions {
  const host = text(values, "operator-host", "CODEPAY_OPERATOR_HOST", io);
  const tokenFile = text(values, "operator-token-file", "CODEPAY_OPERATOR_TOKEN_FILE", io);
  const tokenEnv = io.env["CODEPAY_OPERATOR_TOKEN"];
  if (tokenFile !== undefined && tokenEnv !== undefined) throw new UsageError("give --operator-token-file or CODEPAY_OPERATOR_TOKEN, not both");
  if (tokenEnv === "") throw new UsageError("CODEPAY_OPERATOR_TOKEN must not be empty");
  const token = tokenFile !== undefined ? readSecretFile("--operator-token-file", tokenFile) : tokenEnv;
  return { ...(host !== undefined ? { host } : {}), ...(token !== undefined ? { token } : {}) };
}

/** Reload options shared by serve, the register commands and `broker files`. */
const BROKER_RELOAD: Options = { "broker-reload-pid-file": { type: "string" }, "broker-reload-command": { type: "string" } };
const BROKER_FILES: Options = { "broker-files": { type: "string" }, ...BROKER_RELOAD };

function brokerReload(values: Values, io: CliIo): BrokerReload | undefined {
  const pidFile = text(values, "broker-reload-pid-file", "CODEPAY_BROKER_RELOAD_PID_FILE", io);
  const command = text(values, "broker-reload-command", "CODEPAY_BROKER_RELOAD_COMMAND", io);
  if (pidFile !== undefined && command !== undefined) throw new UsageError("give --broker-reload-pid-file or --broker-reload-command, not both");
  if (pidFile === "" || command === "") throw new UsageError("--broker-reload-pid-file and --broker-reload-command must not be empty");
  return pidFile !== undefined ? { pidFile } : command !== undefined ? { command } : undefined;
}

/** --broker-files DIR (CODEPAY_BROKER_FILES) with its reload: where an external broker's files live. */
function brokerFilesOptions(values: Values, io: CliIo): BrokerFilesOptions | undefined {
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
async function syncBrokerAfterChange(values: Values, io: CliIo, what: string): Promise<number> {
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

/** `--gateway-hop` / CODEPAY_GATEWAY_HOP: "in-process" (default) or "http" (the signed HTTP hop, for A/B). */
function gatewayHopOf(value: string | undefined): GatewayHop | undefined {
  if (value === undefined || value === "in-process" || value === "http") return value;
  throw new UsageError(`--gateway-hop: expected in-process or http (got ${value})`);
}

async function serve(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    host: { type: "string" },
    "mqtt-port": { type: "string" },
    "http-port": { type: "string" },
    "gateway-port": { type: "string" },
    "operator-port": { type: "string" },
    "operator-host": { type: "string" },
    "operator-token-file": { type: "string" },
    "code-ttl-s": { type: "string" },
    "code-digits": { type: "string" },
    "pin-above-minor": { type: "string" },
    sandbox: { type: "boolean" },
    "mqtt-tls-port": { type: "string" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "tls-ca": { type: "string" },
    "require-client-cert": { type: "boolean" },
    "mqtt-tls-only": { type: "boolean" },
    https: { type: "boolean" },
    "no-http-rate-limits": { type: "boolean" },
    "gateway-hop": { type: "string" },
    "broker-url": { type: "string" },
    "broker-username": { type: "string" },
    "broker-password-file": { type: "string" },
    "broker-group": { type: "string" },
    "broker-ca": { type: "string" },
    "register-mqtt-url": { type: "string" },
    ...BROKER_FILES,
  });
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got ${positionals.join(" ")})`);
  const tls = tlsOptions(values, io);
  const https = httpsOptions(values, io);
  const rateLimitsOff = values["no-http-rate-limits"] === true || io.env["CODEPAY_HTTP_RATE_LIMITS"] === "off";
  const gatewayHop = gatewayHopOf(text(values, "gateway-hop", "CODEPAY_GATEWAY_HOP", io));
  const broker = brokerOptions(values, io);
  if (broker !== undefined && tls !== undefined) throw new UsageError("with --broker-url the external broker terminates TLS (docs/deploy); drop --mqtt-tls-port");
  const brokerFiles = brokerFilesOptions(values, io);
  if (brokerFiles !== undefined && broker === undefined) throw new UsageError("--broker-files is for an external broker: it needs --broker-url");
  const server = await startServer({
    dataDir: dataDir(values, io),
    host: text(values, "host", "CODEPAY_HOST", io) ?? "127.0.0.1",
    ports: {
      mqtt: port(values, "mqtt-port", "CODEPAY_MQTT_PORT", io, 1883),
      shopperApi: port(values, "http-port", "CODEPAY_HTTP_PORT", io, 8080),
      gateway: port(values, "gateway-port", "CODEPAY_GATEWAY_PORT", io, 8081),
      operator: port(values, "operator-port", "CODEPAY_OPERATOR_PORT", io, 8082),
    },
    operator: operatorOptions(values, io),
    codeTtlMs: positiveInt(text(values, "code-ttl-s", "CODEPAY_CODE_TTL_S", io), "code-ttl-s", 120, 3_600) * 1_000,
    codeRandomDigits: codeDigitsMin(text(values, "code-digits", "CODEPAY_CODE_DIGITS", io)),
    ...pinThreshold(text(values, "pin-above-minor", "CODEPAY_PIN_ABOVE_MINOR", io)),
    sandbox: values["sandbox"] === true || io.env["CODEPAY_SANDBOX"] === "1",
    ...(tls !== undefined ? { tls } : {}),
    ...(https !== undefined ? { https } : {}),
    ...(rateLimitsOff ? { httpRateLimits: "off" as const } : {}),
    ...(gatewayHop !== undefined ? { gatewayHop } : {}),
    ...(broker !== undefined ? { broker } : {}),
    ...(brokerFiles !== undefined ? { brokerFiles } : {}),
    logger: createLogger(),
  });
  io.stdout(JSON.stringify({ event: "listening", mqtt: server.mqttUrl, ...(server.mqttTlsUrl !== undefined ? { mqttTls: server.mqttTlsUrl } : {}), shopperApi: server.shopperApiUrl, gateway: server.gatewayUrl, operator: server.operatorUrl }));
  io.onServing?.(server);
  return 0;
}

function print(io: CliIo, json: boolean, result: object, human: () => string): void {
  io.stdout(json ? JSON.stringify(result) : human());
}

function keyValues(result: object): string {
  return Object.entries(result)
    .filter(([, value]) => typeof value !== "object")
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join("\n");
}

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

async function admin(args: string[], io: CliIo): Promise<number> {
  const [group, action] = args;
  const command = ["store", "register", "user", "card", "carrier", "tls", "broker"].includes(group ?? "") ? `${group} ${action ?? ""}` : (group ?? "");
  const rest = args.slice(command.split(" ").length);
  switch (command) {
    case "store create": {
      const { values } = parse(rest, { ...MUTATING, id: { type: "string" }, name: { type: "string" }, currency: { type: "string" } });
      const result = await createStore({ dataDir: dataDir(values, io), id: required(values, "id"), name: required(values, "name"), currency: required(values, "currency"), ...requestIdOf(values) });
      print(io, values["json"] === true, result, () => keyValues(result));
      return 0;
    }
    case "register enroll": {
      const { values } = parse(rest, { ...MUTATING, ...BROKER_FILES, store: { type: "string" }, id: { type: "string" }, name: { type: "string" }, "mqtt-url": { type: "string" } });
      const mqttUrl = text(values, "mqtt-url");
      brokerFilesOptions(values, io); // bad broker options are refused before anything changes
      const result = await enrollRegister({
        ...requestIdOf(values),
        dataDir: dataDir(values, io),
        storeId: required(values, "store"),
        registerId: required(values, "id"),
        name: required(values, "name"),
        ...(mqttUrl !== undefined ? { mqttUrl } : {}),
      });
      print(io, values["json"] === true, result, () => `${keyValues(result)}\n(the password is shown only once)\nagentConfig: ${JSON.stringify(result.agentConfig)}`);
      return syncBrokerAfterChange(values, io, `register ${result.registerId} enrolled`);
    }
    case "user enroll": {
      const { values } = parse(rest, { ...MUTATING, id: { type: "string" }, name: { type: "string" }, phone: { type: "string" }, carrier: { type: "string" } });
      const carrier = text(values, "carrier");
      const result = await enrollUser({
        ...requestIdOf(values),
        dataDir: dataDir(values, io),
        userId: required(values, "id"),
        name: required(values, "name"),
        phoneId: required(values, "phone"),
        ...(carrier !== undefined ? { carrier } : {}),
      });
      print(io, values["json"] === true, result, () => `${keyValues(result)}\n(the credential is shown only once)`);
      return 0;
    }
    case "topup": {
      const { values } = parse(rest, { user: { type: "string" }, amount: { type: "string" }, currency: { type: "string" }, "request-id": { type: "string" } });
      const currency = required(values, "currency");
      if (!isCurrencyCode(currency)) throw new UsageError(`unknown currency ${currency}`);
      const amountMinor = parseMajorAmount(required(values, "amount"), currency);
      if (amountMinor === undefined || amountMinor <= 0) throw new UsageError(`--amount must be a positive amount in ${currency} ("1200", "12.34")`);
      const result = await topUp({ dataDir: dataDir(values, io), userId: required(values, "user"), amountMinor, currency, requestId: required(values, "request-id") });
      print(io, values["json"] === true, result, () => keyValues(result));
      return 0;
    }
    case "balances": {
      const { values } = parse(rest, {});
      const result = await balances({ dataDir: dataDir(values, io) });
      print(io, values["json"] === true, result, () =>
        [
          ...result.accounts.map((a) => `${a.kind.padEnd(7)} ${a.ownerId.padEnd(32)} ${a.currency} ${String(a.balanceMinor).padStart(16)}`),
          ...Object.entries(result.totals).map(([currency, total]) => `total   ${"".padEnd(32)} ${currency} ${String(total).padStart(16)}`),
        ].join("\n"),
      );
      return 0;
    }
    case "payments": {
      const { values } = parse(rest, { limit: { type: "string" } });
      const result = await listPayments({ dataDir: dataDir(values, io), limit: positiveInt(text(values, "limit"), "limit", 50, 1_000) });
      print(io, values["json"] === true, result, () =>
        result.payments.map((p) => `${p.paymentId} ${p.registerId} ${p.state.padEnd(9)} ${p.amount.currency} ${p.amount.minor} code ${p.code}${p.reference ? ` ref ${p.reference}` : ""}`).join("\n"),
      );
      return 0;
    }
    case "register pair": {
      const { values } = parse(rest, { ...MUTATING, store: { type: "string" }, id: { type: "string" }, name: { type: "string" }, "ttl-s": { type: "string" } });
      const ttl = text(values, "ttl-s");
      const result = await pairRegister({
        dataDir: dataDir(values, io),
        storeId: required(values, "store"),
        registerId: required(values, "id"),
        name: required(values, "name"),
        ...(ttl !== undefined ? { ttlMs: positiveInt(ttl, "ttl-s", 600, 86_400) * 1_000 } : {}),
        ...requestIdOf(values),
      });
      print(io, values["json"] === true, result, () => `pairing code for ${result.registerId}: ${result.pairingCode} (once, until ${new Date(result.expiresAt).toISOString()})\non the register: codepay-agent pair ${result.pairingCode} --server http://<server>:8080 --config agent.json`);
      return 0;
    }
    case "register disable":
    case "register enable": {
      const { values } = parse(rest, { ...MUTATING, ...BROKER_FILES, id: { type: "string" } });
      brokerFilesOptions(values, io); // bad broker options are refused before anything changes
      const result = await setRegisterEnabled({ dataDir: dataDir(values, io), registerId: required(values, "id"), enabled: command === "register enable", ...requestIdOf(values) });
      print(io, values["json"] === true, result, () => `register ${result.registerId} ${result.disabled ? "disabled" : "enabled"}`);
      return syncBrokerAfterChange(values, io, `register ${result.registerId} ${result.disabled ? "disabled" : "enabled"}`);
    }
    case "user set-pin": {
      const { values } = parse(rest, { ...MUTATING, user: { type: "string" }, pin: { type: "string" } });
      const result = await setUserPin({ dataDir: dataDir(values, io), userId: required(values, "user"), pin: required(values, "pin"), ...requestIdOf(values) });
      print(io, values["json"] === true, result, () => `PIN set for ${result.userId}`);
      return 0;
    }
    case "carrier add":
    case "carrier rotate": {
      const { values } = parse(rest, { id: { type: "string" }, "retire-old": { type: "boolean" } });
      const carrierId = required(values, "id");
      const result =
        command === "carrier add"
          ? await addCarrier({ dataDir: dataDir(values, io), carrierId })
          : await rotateCarrier({ dataDir: dataDir(values, io), carrierId, retireOld: values["retire-old"] === true });
      print(io, values["json"] === true, result, () => `carrier ${result.carrierId}: signing with ${result.currentKeyId}; trusted ${result.trustedKeyIds.join(", ")}`);
      return 0;
    }
    case "card enroll": {
      const { values } = parse(rest, { ...MUTATING, user: { type: "string" }, pan: { type: "string" } });
      const result = await enrollCard({ dataDir: dataDir(values, io), userId: required(values, "user"), pan: required(values, "pan"), ...requestIdOf(values) });
      print(io, values["json"] === true, result, () => `card ending ${result.last4} enrolled for ${result.userId}`);
      return 0;
    }
    case "tls ca": {
      const { values } = parse(rest, { out: { type: "string" } });
      const result = createTlsCa({ out: required(values, "out") });
      print(io, values["json"] === true, result, () => `CA certificate ${result.cert}\nCA key ${result.key} (mode 0600; keep it off the registers)`);
      return 0;
    }
    case "tls issue-register": {
      const { values } = parse(rest, { ca: { type: "string" }, register: { type: "string" }, out: { type: "string" } });
      const result = issueRegisterCert({ ca: required(values, "ca"), registerId: required(values, "register"), out: required(values, "out") });
      print(io, values["json"] === true, result, () => `${keyValues(result)}\nagent config: "server": { "url": "mqtts://<server>:8883", "tls": { "ca": "${result.ca}", "cert": "${result.cert}", "key": "${result.key}" } }`);
      return 0;
    }
    case "tls issue-server": {
      const { values } = parse(rest, { ca: { type: "string" }, host: { type: "string" }, out: { type: "string" } });
      const result = issueServerCert({ ca: required(values, "ca"), host: required(values, "host"), out: required(values, "out") });
      print(io, values["json"] === true, result, () => `${keyValues(result)}\nserve --mqtt-tls-port 8883 --tls-cert ${result.cert} --tls-key ${result.key} --tls-ca ${result.ca} --require-client-cert`);
      return 0;
    }
    case "broker files": {
      const { values } = parse(rest, {
        out: { type: "string" },
        instances: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        "tls-port": { type: "string" },
        "tls-host": { type: "string" },
        "tls-ca": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        ...BROKER_RELOAD,
      });
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
    }
    case "verify": {
      const { values } = parse(rest, {});
      const report = await verify({ dataDir: dataDir(values, io) });
      print(io, values["json"] === true, report, () =>
        report.ok
          ? `ledger OK: ${Object.entries(report.checked).map(([k, v]) => `${v} ${k}`).join(", ")}`
          : report.violations.map((v) => `VIOLATION ${v.code}: ${v.message}`).join("\n"),
      );
      return report.ok ? 0 : 1;
    }
    case "demo-seed": {
      const { values } = parse(rest, { "mqtt-url": { type: "string" } });
      const mqttUrl = text(values, "mqtt-url");
      const result = await demoSeed({ dataDir: dataDir(values, io), ...(mqttUrl !== undefined ? { mqttUrl } : {}) });
      print(io, values["json"] === true, result, () => keyValues(result));
      return 0;
    }
    default:
      throw new UsageError(`unknown admin command ${JSON.stringify(args.slice(0, 2).join(" "))}`);
  }
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
