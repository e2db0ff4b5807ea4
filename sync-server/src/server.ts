/**
 * The composition root (STYLE.md §8): config in, subsystems wired, start in order, stop in reverse.
 * Nothing else in the server builds subsystems or reads the environment.
 */
import { randomInt } from "node:crypto";
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "./clock.js";
import { join } from "node:path";
import { checkpointInBackground, databaseAvailabilityOf, databasePath, dialectOf, groupCommitDriverOf, openDatabase, postgresUrlOf, type Db } from "./db/database.js";
import { StorageMonitor } from "./db/storage-monitor.js";
import { databaseFaultOf } from "./db/database-faults.js";
import { createBrokerHooks, type LoginAdmissionStats } from "./broker/broker-hooks.js";
import type { AdmissionPolicy } from "./broker/login-admission.js";
import { openRegisterKey, registerKeyPath } from "./auth/register-key.js";
import { loadTicketKeys, tlsTicketSecretPath } from "./broker/tls-session-tickets.js";
import { cardKeyPath } from "./cards/card-key.js";
import { widerThanPrivate } from "./private-files.js";
import type { RegisterKey } from "./auth/register-password.js";
import { CodeLengthSizer } from "./settlement/code-length-sizer.js";
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottlePolicy } from "./broker/login-throttle.js";
import { AedesRegisterLine } from "./broker/aedes-register-line.js";
import { ExternalRegisterLine } from "./broker/external-register-line.js";
import { NatsRegisterLine } from "./broker/nats-register-line.js";
import type { RegisterLine } from "./broker/register-line.js";
import { markEveryRegisterOffline } from "./db/repositories/register-presence.js";
import { PresenceRecorder } from "./fleet/presence-recorder.js";
import { startMqttBroker, type TlsHandshakeCounts } from "./broker/mqtt-broker.js";
import type { PacketRefusal } from "./broker/packet-size-guard.js";
import { RequestRouter } from "./broker/request-router.js";
import { createBatchEngine } from "./engine/batch-engine.js";
import { createPostgresEngine } from "./engine/postgres-batch-engine.js";
import { ServerMetrics, registerObservabilityRoutes, timeShopperRequests } from "./observability/metrics.js";
import { buildOperatorApp } from "./operator/operator-app.js";
import { registerConsoleRoutes } from "./operator/console-routes.js";
import { verify, verifyReadOnly } from "./admin/admin-commands.js";
import { startSystemdWatchdog } from "@codepay/systemd-watchdog";
import { buildGatewayApp } from "./carrier-gateway/app.js";
import { carrierKeyPath, DEFAULT_CARRIER_ID, ensureCarrier, type CarrierKey } from "./carrier-gateway/carrier-keys.js";
import { DEFAULT_GUESS_POLICY, type GuessPolicy } from "./payments/guess-policy.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import { limits } from "./limits.js";
import { createLogger, type Logger } from "./logger.js";
import { cryptoRandomDigit, type RandomDigitSource } from "./payments/code-allocator.js";
import { CODE_RANDOM_DIGITS_DEFAULT } from "@codepay/contract";
import type { SettlementContext } from "./settlement/context.js";
import { ResultDelivery, sweepExpiredPayments } from "./settlement/result-delivery.js";
import { buildShopperApp } from "./shopper-api/app.js";
import { registerPairingRoute } from "./pairing/pairing-route.js";
import { NonceCache } from "./shopper-api/nonce-cache.js";
import { DEFAULT_HTTP_RATE_LIMITS, HttpRateLimit, type HttpRateLimits } from "./http-security/http-rate-limits.js";
import { createUpstream } from "./http-security/upstream-request.js";
import { SharedNonceStore } from "./shopper-api/shared-nonce-store.js";
import { PhoneAuthenticator } from "./shopper-api/phone-authentication.js";
import { ShopperOperations } from "./shopper-api/shopper-operations.js";
import { BrokerFilesSync, type BrokerFilesOptions } from "./broker/broker-files-sync.js";

export interface ServerPorts {
  /** 0 picks a free port. Defaults: 1883 / 8080 / 8081 (contracts.md). */
  readonly mqtt?: number;
  readonly shopperApi?: number;
  readonly gateway?: number;
  /** The operator listener (`/metrics`, `/health`). Default 0, a free port (`serve` defaults to 8082). */
  readonly operator?: number;
}

/** The operator listener: its own address, loopback unless told otherwise, and an optional bearer token. */
export interface ServerOperatorOptions {
  /** Default 127.0.0.1, whatever `host` says: the operator listener is private unless asked. */
  readonly host?: string;
  /** When set, `/metrics` and `/health` need `Authorization: Bearer <token>`. */
  readonly token?: string;
}

/** MQTT over TLS (file paths, PEM). */
export interface ServerTlsOptions {
  /** 0 picks a free port; contracts.md suggests 8883. */
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  /** CA that signs register certificates (`admin tls ca`). */
  readonly ca?: string;
  /** With `ca`: refuse connections without a certificate whose CN is the register id. */
  readonly requireClientCert?: boolean;
  /** No plain MQTT listener: `mqttUrl` is then the mqtts:// url. */
  readonly only?: boolean;
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** HTTPS for the shopper API and the carrier gateway (file paths, PEM). */
export interface ServerHttpsOptions {
  readonly cert: string;
  readonly key: string;
  /** The CA that issued `cert`: the gateway checks the shopper API's certificate against it (default: system roots). */
  readonly ca?: string;
}

/** An external broker (mosquitto) shared by several instances, instead of the embedded aedes. */
export interface ServerBrokerOptions {
  readonly url: string;
  /** This instance's service account (`admin broker files`). */
  readonly username: string;
  readonly password: string;
  /** Shared subscription group, the same on every instance. */
  readonly group: string;
  /** PEM file of the CA that signed the broker's certificate (mqtts://). */
  readonly ca?: string;
  /** The broker address registers use (pairing hands it out); default: `url`. */
  readonly registerUrl?: string;
}

/** A nats-server cluster shared by several instances (docs/deploy/broker-cluster.md). */
export interface ServerClusterOptions {
  /** nats://host:4222 of the nodes (request queue group). */
  readonly natsUrls: readonly string[];
  /** mqtts://host:8883 of the nodes: where registers connect (the first is handed out at pairing and printed); the instance itself does not connect there. */
  readonly mqttUrls: readonly string[];
  /** How many register accounts the cluster's authorization splits registers over (`admin broker files --broker nats --accounts K`). */
  readonly accounts: number;
  /** This instance's name: the CN of its certificate (codepay-server-N). */
  readonly name: string;
  /** Queue group, the same on every instance. */
  readonly group: string;
  /** PEM files: the CA, this instance's certificate and key (`admin tls issue-register --register codepay-server-N`). */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface ServerOptions {
  readonly dataDir: string;
  readonly host?: string;
  readonly ports?: ServerPorts;
  readonly codeTtlMs?: number;
  /** The fewest random digits a code has (`--code-digits`); the server lengthens codes as registers are added. */
  readonly codeRandomDigits?: number;
  /** Tests and measurements that need one code length: always `codeRandomDigits`, never sized. */
  readonly codeDigitsFixed?: boolean;
  /** SQLite: below this many free bytes on the data directory's filesystem, warn (default limits.storageFreeBytesWarnMin). */
  readonly storageFreeBytesWarnMin?: number;
  /** Epoch ms; tests pass a clock they move by hand. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Digit source for payment codes; tests pass a scripted one to force collisions. */
  readonly randomDigit?: RandomDigitSource;
  /** How often the expiry sweep and the result resend run (wall clock). */
  readonly sweepIntervalMs?: number;
  /** postgres://... selects PostgreSQL; default: DATABASE_URL, else `<dataDir>/codepay.sqlite`. */
  readonly databaseUrl?: string;
  /** Limits on wrong codes and PINs per phone and per store. */
  readonly guessPolicy?: GuessPolicy;
  /** At or above this amount (minor units) the approval needs the shopper's PIN. */
  readonly pinThresholdMinor?: number;
  /** Magic amounts force outcomes (settlement/sandbox.ts). */
  readonly sandbox?: boolean;
  /** An MQTT-over-TLS listener next to the plain one, on the same broker. */
  readonly tls?: ServerTlsOptions;
  /** The shopper API and the carrier gateway listen on HTTPS (and send HSTS). */
  readonly https?: ServerHttpsOptions;
  /** Limits per client address and per phone (on `clock`); "off" for benchmarks. Default DEFAULT_HTTP_RATE_LIMITS. */
  readonly httpRateLimits?: HttpRateLimits | "off";
  /** Failed MQTT logins hold back further attempts (on `clock`), before the password check; "off" for tests. Default DEFAULT_LOGIN_THROTTLE. */
  readonly mqttLoginThrottle?: LoginThrottlePolicy | "off";
  /** Logins checked at a bounded rate, the rest queued or refused with CONNACK 3. Default DEFAULT_LOGIN_ADMISSION (limits.ts). */
  readonly mqttLoginAdmission?: AdmissionPolicy;
  /** Connect to this broker instead of embedding one (several instances; README "Scale-out"). */
  readonly broker?: ServerBrokerOptions;
  /** The registers' line on a nats-server cluster instead of aedes or mosquitto. */
  readonly cluster?: ServerClusterOptions;
  /** The external broker's passwd and acl, rewritten (and the broker reloaded) at start and after every pairing. */
  readonly brokerFiles?: BrokerFilesOptions;
  /**
   * How the carrier gateway reaches the shopper API: "in-process" (default) hands claims, approvals
   * and declines to it directly with the phone the gateway authenticated; "http" signs an assertion
   * and sends every request over loopback HTTP, as a separate gateway or a real carrier does (A/B).
   */
  readonly gatewayHop?: GatewayHop;
  /** Where `/metrics` and `/health` listen (port in `ports.operator`). */
  readonly operator?: ServerOperatorOptions;
}

export type GatewayHop = "in-process" | "http";

/** The register line with its broker, embedded or external: what the rest of the server needs of it. */
interface StartedLine {
  readonly line: RegisterLine;
  /** Subscribes (after the listeners are registered). */
  start(): Promise<void>;
  readonly mqttUrl: () => string;
  readonly mqttTlsUrl: () => string | undefined;
  readonly connectedRegisters: () => number;
  /** The embedded broker's login admission; undefined with an external broker (it admits on its own). */
  readonly loginAdmission?: () => LoginAdmissionStats;
  /** The embedded broker's connections closed for an oversize packet header; undefined with an external broker (mosquitto's max_packet_size). */
  readonly packetsRefused?: () => Readonly<Record<PacketRefusal, number>>;
  /** The embedded broker's TLS handshakes, full and resumed; undefined with an external broker. */
  readonly tlsHandshakes?: () => TlsHandshakeCounts;
  readonly brokerUp: () => boolean;
  /** No new requests from here on (the replies to those taken may still go out until close). */
  stopAccepting(): Promise<void>;
  close(): Promise<void>;
}

type EmbeddedTls = NonNullable<Parameters<typeof startMqttBroker>[0]["tls"]>;

interface EmbeddedLineOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: EmbeddedTls | undefined;
  readonly loginThrottle: { throttle: LoginThrottle; clock: Clock } | undefined;
  readonly registerKey: RegisterKey;
  readonly loginAdmission: AdmissionPolicy | undefined;
}

async function startEmbeddedLine(db: Db, logger: Logger, options: EmbeddedLineOptions): Promise<StartedLine> {
  const { host, port, tls, loginThrottle } = options;
  const hooks = createBrokerHooks(db, logger.child({ part: "broker" }), {
    registerKey: options.registerKey,
    requireClientCertOnTls: tls?.requireClientCert === true,
    ...(loginThrottle !== undefined ? { loginThrottle } : {}),
    ...(options.loginAdmission !== undefined ? { loginAdmission: { policy: options.loginAdmission } } : {}),
  });
  const broker = await startMqttBroker({ host, port, hooks, ...(tls !== undefined ? { tls } : {}) });
  const line = new AedesRegisterLine(broker.aedes, hooks, logger.child({ part: "line" }));
  return {
    line,
    start: () => line.start(),
    mqttUrl: () => broker.url,
    mqttTlsUrl: () => broker.tlsUrl,
    connectedRegisters: () => broker.aedes.connectedClients,
    loginAdmission: () => hooks.loginAdmission(),
    packetsRefused: () => broker.packetsRefused(),
    tlsHandshakes: () => broker.tlsHandshakes(),
    brokerUp: () => !broker.aedes.closed,
    // Closing aedes drops the registers: a reply not yet sent is resent from the outbox or asked again.
    stopAccepting: () => broker.close(),
    close: async () => undefined,
  };
}

function startExternalLine(options: ServerBrokerOptions, logger: Logger): StartedLine {
  const line = new ExternalRegisterLine(
    { url: options.url, username: options.username, password: options.password, group: options.group, ...(options.ca !== undefined ? { ca: readPem("broker CA", options.ca) } : {}) },
    logger.child({ part: "line" }),
  );
  return {
    line,
    start: () => line.start(),
    mqttUrl: () => options.registerUrl ?? options.url,
    mqttTlsUrl: () => undefined,
    connectedRegisters: () => line.registersSeenOnline,
    brokerUp: () => line.connected,
    stopAccepting: () => line.stopAccepting(),
    close: () => line.stop(),
  };
}

function startClusterLine(options: ServerClusterOptions, logger: Logger): StartedLine {
  const line = new NatsRegisterLine(
    {
      natsUrls: options.natsUrls,
      accounts: options.accounts,
      name: options.name,
      group: options.group,
      tls: { ca: readPem("cluster CA", options.ca), cert: readPem("cluster certificate", options.cert), key: readPem("cluster key", options.key) },
    },
    logger.child({ part: "line" }),
  );
  return {
    line,
    start: () => line.start(),
    mqttUrl: () => options.mqttUrls[0]!,
    mqttTlsUrl: () => undefined,
    connectedRegisters: () => line.registersSeenOnline,
    brokerUp: () => line.connected,
    stopAccepting: () => line.stopAccepting(),
    close: () => line.stop(),
  };
}

export interface RunningServer {
  readonly mqttUrl: string;
  /** mqtts://host:port when `tls` was given. */
  readonly mqttTlsUrl?: string;
  readonly shopperApiUrl: string;
  readonly gatewayUrl: string;
  /** The operator listener: `/metrics`, `/health` (operator/operator-client.ts reads it). */
  readonly operatorUrl: string;
  readonly dataDir: string;
  /** Stops accepting, closes the broker and both HTTP listeners, then the database. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The gateway's signing keys, re-read when a key file changes: `admin carrier rotate` replaces the
 * file, and the running gateway signs with the new key at once (the old one is still trusted).
 */
function currentCarrierKeys(db: Db, dataDir: string, clock: Clock): (carrierId: string) => Promise<CarrierKey> {
  const cache = new Map<string, { key: CarrierKey; mtimeMs: number }>();
  return async (carrierId) => {
    const path = carrierKeyPath(dataDir, carrierId);
    const mtimeMs = existsSync(path) ? statSync(path).mtimeMs : -1;
    const cached = cache.get(carrierId);
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.key;
    const key = await ensureCarrier(db, dataDir, carrierId, clock());
    cache.set(carrierId, { key, mtimeMs: statSync(path).mtimeMs });
    return key;
  };
}

function httpUrl(host: string, address: AddressInfo | string | null, secure: boolean): string {
  if (address === null || typeof address === "string") throw new Error("HTTP listener has no TCP address");
  return `${secure ? "https" : "http"}://${host}:${address.port}`;
}

/**
 * A change made while no instance ran (or whose rewrite failed) reaches the broker now. A failure
 * does not stop the server: the registers already in the files keep working.
 */
async function syncBrokerFilesAtStart(brokerFiles: BrokerFilesSync, logger: Logger): Promise<void> {
  try {
    const files = await brokerFiles.sync();
    if (files.registersWithoutBrokerPassword.length > 0) {
      logger.warn({ registers: files.registersWithoutBrokerPassword }, "registers without a broker password are left out of the broker's password file (enrolled before migration 0003, or waiting for their pairing code): enroll them again (admin register enroll) or pair them");
    }
  } catch (error) {
    logger.error({ err: error }, "could not rewrite the broker files at start");
  }
}

/** SECURITY.md "Files": the data directory and what it holds are the server user's alone; say so when they are not. */
function warnAboutWideFiles(dataDir: string, logger: Logger): void {
  const database = databasePath(dataDir);
  const files = [dataDir, database, `${database}-wal`, `${database}-shm`, registerKeyPath(dataDir), tlsTicketSecretPath(dataDir), cardKeyPath(dataDir), join(dataDir, "carrier-keys")];
  for (const { path, mode, privateMode } of widerThanPrivate(files)) logger.warn({ path, mode }, `${path} is accessible to group or others (mode ${mode}); it holds secrets: chmod ${privateMode} it`);
}

/** The PEM files of the MQTT/TLS listener and of HTTPS, read once at start (a bad path stops the start). */
function readTlsMaterial(options: ServerOptions): { tls: EmbeddedTls | undefined; https: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined } {
  const tlsOptions = options.tls;
  if (tlsOptions?.requireClientCert === true && tlsOptions.ca === undefined) throw new Error("TLS: requiring client certificates needs a client CA (--tls-ca)");
  const tls =
    tlsOptions === undefined
      ? undefined
      : {
          port: tlsOptions.port,
          cert: readPem("certificate", tlsOptions.cert),
          key: readPem("key", tlsOptions.key),
          ...(tlsOptions.ca !== undefined ? { ca: readPem("client CA", tlsOptions.ca) } : {}),
          requireClientCert: tlsOptions.requireClientCert === true,
          only: tlsOptions.only === true,
        };
  const ticketKeys = tls === undefined ? undefined : loadTicketKeys(options.dataDir, tls);
  const https =
    options.https === undefined
      ? undefined
      : {
          cert: readPem("certificate", options.https.cert),
          key: readPem("key", options.https.key),
          ...(options.https.ca !== undefined ? { ca: readPem("CA", options.https.ca) } : {}),
        };
  return { tls: tls === undefined || ticketKeys === undefined ? undefined : { ...tls, ticketKeys }, https };
}

/** The database, its background checkpoints and (SQLite) the watch on the disk under it. */
async function openStore(options: ServerOptions, logger: Logger): Promise<{ db: Db; storage: StorageMonitor | undefined }> {
  const db = await openDatabase(options.dataDir, options.databaseUrl, {
    onAvailabilityChange: (up, error) => {
      if (up) logger.warn("the database answers again: requests resume");
      else logger.error({ reason: error instanceof Error ? error.message : String(error) }, "the database does not answer: requests are refused with SERVER_UNAVAILABLE while it is probed");
    },
  });
  checkpointInBackground(db, (error) => logger.error({ err: error }, "background WAL checkpoints stopped; SQLite checkpoints in COMMIT again until a write succeeds"));
  const sqliteDriver = groupCommitDriverOf(db);
  const storage =
    sqliteDriver === undefined
      ? undefined
      : new StorageMonitor(sqliteDriver, { dataDir: options.dataDir, intervalMs: limits.storageCheckIntervalMs, freeBytesWarnMin: options.storageFreeBytesWarnMin ?? limits.storageFreeBytesWarnMin, logger: logger.child({ part: "storage" }) });
  await storage?.start();
  return { db, storage };
}

/** The registers' line: the embedded aedes broker, an external mosquitto, or a nats-server cluster. */
async function startRegisterLine(db: Db, options: ServerOptions, logger: Logger, embedded: Omit<EmbeddedLineOptions, "port">): Promise<StartedLine> {
  if ((options.broker !== undefined || options.cluster !== undefined) && embedded.tls !== undefined) throw new Error("TLS on the dedicated line is the external broker's job when one is configured");
  if (options.broker !== undefined && options.cluster !== undefined) throw new Error("one register line: an external broker or a cluster, not both");
  if (options.cluster !== undefined) return startClusterLine(options.cluster, logger);
  if (options.broker !== undefined) return startExternalLine(options.broker, logger);
  return startEmbeddedLine(db, logger, { ...embedded, port: options.ports?.mqtt ?? 1883 });
}

/** The sweep expires due payments and resends unacknowledged results; one run at a time, and on
 * PostgreSQL on one elected instance (postgres-session.ts: the others try again at each tick). */
function startSweeps(settlement: SettlementContext, delivery: ResultDelivery, sharedNonces: SharedNonceStore | undefined, isSweeper: (() => Promise<boolean>) | undefined, intervalMs: number): { stop(): Promise<void> } {
  const { clock, logger } = settlement;
  let sweeping: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (sweeping !== undefined) return;
    sweeping = (async () => {
      if (isSweeper !== undefined && !(await isSweeper())) return;
      await sweepExpiredPayments(settlement);
      await delivery.resendDue();
      await sharedNonces?.prune(clock());
    })()
      // The database down or the disk full is logged once where it is seen (availability, storage monitor), not every sweep.
      .catch((error: unknown) => (databaseFaultOf(error) !== undefined ? logger.debug({ reason: String(error) }, "expiry sweep skipped: database fault") : logger.error({ err: error }, "expiry sweep failed")))
      .finally(() => {
        sweeping = undefined;
      });
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await sweeping;
    },
  };
}

/** What the three HTTP listeners need from the rest of the server. */
interface HttpListenersDeps {
  readonly db: Db;
  readonly engine: SettlementContext["engine"];
  readonly settlement: SettlementContext;
  readonly metrics: ServerMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly host: string;
  readonly ports: ServerOptions["ports"];
  readonly operator: ServerOptions["operator"];
  readonly https: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined;
  readonly rateLimits: HttpRateLimits | undefined;
  readonly gatewayHop: GatewayHop;
  readonly dataDir: string;
  readonly registerKey: RegisterKey;
  readonly mqttUrl: () => string;
  readonly brokerFiles: BrokerFilesSync | undefined;
  readonly carrierKey: (carrierId: string) => Promise<CarrierKey>;
}

/**
 * The shopper API (with pairing), the carrier gateway in front of it, and the operator listener
 * (/metrics, /health), each listening when this returns.
 */
async function startHttpListeners(deps: HttpListenersDeps) {
  const { db, engine, settlement, metrics, clock, logger, host, ports, operator, https, rateLimits, gatewayHop, dataDir, registerKey, mqttUrl, brokerFiles, carrierKey } = deps;
  // Several instances share PostgreSQL, so they share its nonce table; SQLite means one process.
  const sharedNonces = dialectOf(db) === "postgres" ? new SharedNonceStore(db) : undefined;
  const phones = new PhoneAuthenticator(db, clock, sharedNonces ?? new NonceCache(limits.assertionNoncesMax));
  // One per-phone limit for both ways in: the gateway's in-process hop and the shopper API's port.
  const shopperOperations = new ShopperOperations({
    settlement,
    ...(rateLimits !== undefined ? { perPhoneLimit: new HttpRateLimit(rateLimits.perPhone, clock, "per phone") } : {}),
  });
  const shopperApp = buildShopperApp({
    settlement,
    operations: shopperOperations,
    phones,
    logger: logger.child({ part: "shopper-api" }),
    ...(https !== undefined ? { https } : {}),
  });
  timeShopperRequests(shopperApp, metrics);
  registerPairingRoute(shopperApp, {
    db,
    clock,
    logger: logger.child({ part: "pairing" }),
    dataDir: dataDir,
    registerKey: registerKey,
    mqttUrl,
    ...(brokerFiles !== undefined ? { afterRegisterChange: () => brokerFiles.sync() } : {}),
    ...(rateLimits !== undefined ? { perAddressLimit: new HttpRateLimit(rateLimits.pairingPerAddress, clock, "pairing per address") } : {}),
  });
  await shopperApp.listen({ host, port: ports?.shopperApi ?? 8080 });
  const shopperApiUrl = httpUrl(host, shopperApp.server.address(), https !== undefined);

  const upstream = createUpstream(https?.ca !== undefined ? { ca: https.ca } : {});
  const gatewayApp = buildGatewayApp({
    db,
    ...(engine !== undefined ? { engine } : {}),
    clock,
    logger: logger.child({ part: "gateway" }),
    shopperApiUrl,
    carrierKey,
    upstream,
    ...(rateLimits !== undefined ? { perAddressLimit: new HttpRateLimit(rateLimits.gatewayPerAddress, clock, "gateway per address") } : {}),
    ...(https !== undefined ? { https } : {}),
    // README "Configuration": the shopper API is in this process, so the gateway hands phone requests to it directly.
    ...(gatewayHop === "in-process" ? { shopperOperations } : {}),
  });
  await gatewayApp.listen({ host, port: ports?.gateway ?? 8081 });
  const gatewayUrl = httpUrl(host, gatewayApp.server.address(), https !== undefined);

  const operatorHost = operator?.host ?? "127.0.0.1";
  const operatorApp = buildOperatorApp({
    logger: logger.child({ part: "operator" }),
    ...(operator?.token !== undefined ? { token: operator.token } : {}),
    ...(https !== undefined ? { https } : {}),
  });
  registerObservabilityRoutes(operatorApp, metrics);
  registerConsoleRoutes(operatorApp, {
    db,
    clock,
    logger: logger.child({ part: "console" }),
    https: https !== undefined,
    // SQLite: the ledger check reads on a connection of its own; PostgreSQL: one pooled connection.
    verifyLedger: dialectOf(db) === "postgres" ? () => verifyReadOnly(db) : () => verify({ dataDir }),
  });
  await operatorApp.listen({ host: operatorHost, port: ports?.operator ?? 0 });
  const operatorUrl = httpUrl(operatorHost, operatorApp.server.address(), https !== undefined);

  return { sharedNonces, shopperApp, gatewayApp, operatorApp, upstream, shopperApiUrl, gatewayUrl, operatorUrl };
}

/** The settlement context every request runs in (shared by the register line, the shopper API and the gateway). */
function settlementContextOf(options: ServerOptions, parts: { db: Db; engine: SettlementContext["engine"]; clock: Clock; logger: Logger; codeRandomDigits: number; codeLength: CodeLengthSizer; delivery: ResultDelivery; line: RegisterLine }): SettlementContext {
  const { db, engine, clock, logger, codeRandomDigits, codeLength, delivery, line } = parts;
  return {
    db,
    ...(engine !== undefined ? { engine } : {}),
    clock,
    logger: logger.child({ part: "settlement" }),
    codeTtlMs: options.codeTtlMs ?? limits.codeTtlMsDefault,
    codeRandomDigits,
    ...(options.codeDigitsFixed !== true ? { codeLength } : {}),
    allocationAttemptsMax: limits.allocationAttemptsMax,
    randomDigit: options.randomDigit ?? cryptoRandomDigit(randomInt),
    deliverResults: (rows) => delivery.deliver(rows),
    notifyRegister: (to, message) => {
      line.publishToRegister(to, message).catch((error: unknown) => logger.warn({ err: error, registerId: to.registerId }, "could not notify a register"));
    },
    guessPolicy: options.guessPolicy ?? DEFAULT_GUESS_POLICY,
    pinThresholdMinor: options.pinThresholdMinor,
    sandbox: options.sandbox ?? false,
  };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const codeRandomDigits = options.codeRandomDigits ?? CODE_RANDOM_DIGITS_DEFAULT;
  const { tls, https } = readTlsMaterial(options);
  const loginThrottle = options.mqttLoginThrottle === "off" ? undefined : { throttle: new LoginThrottle(options.mqttLoginThrottle ?? DEFAULT_LOGIN_THROTTLE), clock };
  const rateLimits = options.httpRateLimits === "off" ? undefined : (options.httpRateLimits ?? DEFAULT_HTTP_RATE_LIMITS);
  const gatewayHop = options.gatewayHop ?? "in-process";
  const { db, storage } = await openStore(options, logger);
  await ensureCarrier(db, options.dataDir, DEFAULT_CARRIER_ID, clock());
  warnAboutWideFiles(options.dataDir, logger);
  // SECURITY.md "Guessing, measured": new codes get the shortest length that keeps a guessing phone
  // at or below the target for the registers (and open codes) the server has; logged at start.
  const codeLength = new CodeLengthSizer({ db, policy: options.guessPolicy ?? DEFAULT_GUESS_POLICY, minDigits: codeRandomDigits, target: limits.guessSuccessPerWindowMax, logger: logger.child({ part: "codes" }) });
  if (options.codeDigitsFixed !== true) await codeLength.start(limits.codeLengthRecountIntervalMs);
  const carrierKey = currentCarrierKeys(db, options.dataDir, clock);
  const brokerFiles = options.brokerFiles === undefined ? undefined : new BrokerFilesSync(db, options.brokerFiles);
  if (brokerFiles !== undefined) await syncBrokerFilesAtStart(brokerFiles, logger);

  // The register key before any register can log in: refused at start if the database has keyed rows but this instance has no key.
  const registerKey = await openRegisterKey(db, options.dataDir).catch(async (error: unknown) => {
    await db.destroy();
    throw error;
  });
  if (registerKey.rowsWithOtherKeys > 0) {
    logger.error({ registers: registerKey.rowsWithOtherKeys, keyId: registerKey.key.id }, "register passwords hashed with another register key: those registers cannot log in here (SECURITY.md: every instance needs the same register-key file)");
  }
  const broker = await startRegisterLine(db, options, logger, { host, tls, loginThrottle, registerKey: registerKey.key, loginAdmission: options.mqttLoginAdmission });
  const line = broker.line;
  const metrics = new ServerMetrics({
    db,
    connectedRegisters: broker.connectedRegisters,
    ...(broker.loginAdmission !== undefined ? { loginAdmission: broker.loginAdmission } : {}),
    ...(broker.packetsRefused !== undefined ? { mqttPacketsRefused: broker.packetsRefused } : {}),
    ...(broker.tlsHandshakes !== undefined && tls !== undefined ? { mqttTlsHandshakes: broker.tlsHandshakes } : {}),
    brokerUp: broker.brokerUp,
    codeRandomDigits: () => (options.codeDigitsFixed === true ? codeRandomDigits : codeLength.randomDigits),
    ...(storage !== undefined ? { storage: { report: () => storage.report(), current: () => storage.current() } } : {}),
  });
  const delivery = new ResultDelivery(db, clock, logger.child({ part: "results" }), (to, message) => line.publishToRegister(to, message));
  // The hot path runs in batches: engine/batch-engine.ts on SQLite, engine/postgres-batch-engine.ts on PostgreSQL.
  const postgres = createPostgresEngine(postgresUrlOf(db), logger.child({ part: "engine" }), { batchRequestsMax: limits.engineBatchRequestsMax, cachedReadsMax: limits.engineCachedReadsMax }, databaseAvailabilityOf(db));
  const engine = createBatchEngine(db, logger.child({ part: "engine" })) ?? postgres?.engine;
  const settlement = settlementContextOf(options, { db, engine, clock, logger, codeRandomDigits, codeLength, delivery, line });

  if (settlement.sandbox) logger.warn("SANDBOX MODE: magic amounts force declines, timeouts and errors");
  const router = new RequestRouter(settlement, metrics.instrumentLine(line));
  router.start();
  line.onRegisterOnline((register) => delivery.resendToRegister(register.registerId));
  // Fleet health: the embedded broker starts with no connection, so nobody is online until it says so.
  if (options.broker === undefined && options.cluster === undefined) await markEveryRegisterOffline(db, clock());
  const presence = new PresenceRecorder(db, clock, logger.child({ part: "fleet" }), limits.presenceFlushIntervalMs, limits.presencePendingMax);
  line.onPresence((register, report) => presence.note(register, report));
  // A register enrolled since the last count (by `admin`, another process) is counted before it can open a code.
  if (options.codeDigitsFixed !== true) line.onRegisterOnline(() => codeLength.recountSoon(limits.codeLengthOnlineRecountGapMs));
  try {
    await broker.start();
  } catch (error) {
    // Refused by the broker (credentials, ACL): release what is open so the process can exit at once.
    await broker.stopAccepting();
    await broker.close();
    await db.destroy();
    throw error;
  }

  const http = await startHttpListeners({
    db,
    engine,
    settlement,
    metrics,
    clock,
    logger,
    host,
    ports: options.ports,
    operator: options.operator,
    https,
    rateLimits,
    gatewayHop,
    dataDir: options.dataDir,
    registerKey: registerKey.key,
    mqttUrl: broker.mqttUrl,
    brokerFiles,
    carrierKey,
  });
  const { sharedNonces, shopperApp, gatewayApp, operatorApp, upstream, shopperApiUrl, gatewayUrl, operatorUrl } = http;
  // systemd WatchdogSec: pings only while the broker is up (docs/deploy/codepay-server.service).
  // Not while the database is down or its disk full (issue 24): a restart cures neither, and the process
  // refuses cleanly and resumes by itself; a restart loop would only add a start-up failure to the outage.
  const watchdog = startSystemdWatchdog(async () => (await metrics.health()).mqtt.broker === "up");

  const sweeps = startSweeps(settlement, delivery, sharedNonces, postgres === undefined ? undefined : () => postgres.session.isSweeper(), options.sweepIntervalMs ?? limits.expirySweepIntervalMs);

  logger.info({ mqtt: broker.mqttUrl(), mqttTls: broker.mqttTlsUrl(), externalBroker: options.broker !== undefined, cluster: options.cluster !== undefined, clientCertRequired: tls?.requireClientCert, shopperApi: shopperApiUrl, gateway: gatewayUrl, operator: operatorUrl, operatorToken: options.operator?.token !== undefined, gatewayHop, httpRateLimits: rateLimits !== undefined, dataDir: options.dataDir, database: dialectOf(db) }, "code pay server listening");

  let stopping: Promise<void> | undefined;
  const stopOnce = async (): Promise<void> => {
    watchdog.stop();
    storage?.stop();
    await sweeps.stop();
    codeLength.stop();
    await gatewayApp.close();
    await operatorApp.close();
    upstream.close();
    await shopperApp.close();
    await broker.stopAccepting();
    await router.drain();
    await engine?.drain();
    await postgres?.engine?.close();
    await postgres?.session.close();
    await delivery.drain();
    await broker.close();
    await presence.stop();
    await db.destroy();
    logger.info("code pay server stopped");
  };
  const mqttTlsUrl = broker.mqttTlsUrl();
  return {
    mqttUrl: broker.mqttUrl(),
    ...(mqttTlsUrl !== undefined ? { mqttTlsUrl } : {}),
    shopperApiUrl,
    gatewayUrl,
    operatorUrl,
    dataDir: options.dataDir,
    stop: () => (stopping ??= stopOnce()),
  };
}
