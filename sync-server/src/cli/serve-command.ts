/** `codepay-server serve`: options (flags and their CODEPAY_* environment twins) into startServer. */
import { CODE_RANDOM_DIGITS_DEFAULT, CODE_RANDOM_DIGITS_MAX } from "@codepay/contract";
import { createLogger } from "../logger.js";
import { startServer, type GatewayHop, type ServerHttpsOptions, type ServerOperatorOptions, type ServerTlsOptions } from "../server.js";
import { BROKER_FILES, brokerFilesOptions, brokerOptions, clusterOptions } from "./broker-options.js";
import { dataDir, parse, port, positiveInt, readSecretFile, text, UsageError, type CliIo, type Values } from "./cli-args.js";

/** `--code-digits`: the fewest random digits a code has (the server lengthens codes up to CODE_RANDOM_DIGITS_MAX). */
function codeDigitsMin(raw: string | undefined): number {
  const digits = positiveInt(raw, "code-digits", CODE_RANDOM_DIGITS_DEFAULT, CODE_RANDOM_DIGITS_MAX);
  // The allocator needs at least 3 (payments/code-allocator.ts); fewer would crash the first payment.
  if (digits < 3) throw new UsageError(`--code-digits must be an integer 3-${CODE_RANDOM_DIGITS_MAX}`);
  return digits;
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

/** `--gateway-hop` / CODEPAY_GATEWAY_HOP: "in-process" (default) or "http" (the signed HTTP hop, for A/B). */
function gatewayHopOf(value: string | undefined): GatewayHop | undefined {
  if (value === undefined || value === "in-process" || value === "http") return value;
  throw new UsageError(`--gateway-hop: expected in-process or http (got ${value})`);
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

export async function serve(args: string[], io: CliIo): Promise<number> {
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
    "broker-cluster-nats": { type: "string" },
    "broker-cluster-mqtt": { type: "string" },
    "broker-cluster-accounts": { type: "string" },
    "broker-cert": { type: "string" },
    "broker-key": { type: "string" },
    ...BROKER_FILES,
  });
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got ${positionals.join(" ")})`);
  const tls = tlsOptions(values, io);
  const https = httpsOptions(values, io);
  const rateLimitsOff = values["no-http-rate-limits"] === true || io.env["CODEPAY_HTTP_RATE_LIMITS"] === "off";
  const gatewayHop = gatewayHopOf(text(values, "gateway-hop", "CODEPAY_GATEWAY_HOP", io));
  const cluster = clusterOptions(values, io);
  const broker = cluster === undefined ? brokerOptions(values, io) : undefined;
  if (cluster !== undefined && values["broker-url"] !== undefined) throw new UsageError("--broker-url (mosquitto) and --broker-cluster-nats (nats-server cluster): one or the other");
  if (cluster !== undefined && tls !== undefined) throw new UsageError("with a cluster the nodes terminate TLS (docs/deploy/broker-cluster.md); drop --mqtt-tls-port");
  if (broker !== undefined && tls !== undefined) throw new UsageError("with --broker-url the external broker terminates TLS (docs/deploy); drop --mqtt-tls-port");
  const brokerFiles = brokerFilesOptions(values, io);
  if (brokerFiles !== undefined && broker === undefined && cluster === undefined) throw new UsageError("--broker-files is for an external broker: it needs --broker-url or --broker-cluster-nats");
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
    ...(cluster !== undefined ? { cluster } : {}),
    ...(brokerFiles !== undefined ? { brokerFiles } : {}),
    logger: createLogger(),
  });
  io.stdout(JSON.stringify({ event: "listening", mqtt: server.mqttUrl, ...(server.mqttTlsUrl !== undefined ? { mqttTls: server.mqttTlsUrl } : {}), shopperApi: server.shopperApiUrl, gateway: server.gatewayUrl, operator: server.operatorUrl }));
  io.onServing?.(server);
  return 0;
}
