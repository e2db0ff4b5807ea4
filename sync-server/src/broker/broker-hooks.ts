/**
 * aedes security hooks (DESIGN-NOTES "MQTT"): authenticate each register against the database,
 * then confine it to its own topics. The identity found at CONNECT is remembered per client so
 * the ACL never trusts anything the client says later.
 */
import { TLSSocket } from "node:tls";
import type { AedesOptions, AuthenticateError, Client } from "aedes";
import type { Db } from "../db/database.js";
import { findRegister, replaceRegisterPasswordHash } from "../db/repositories/registers.js";
import { checkRegisterPassword, hashRegisterPassword, isKeyedRegisterHash, type RegisterKey } from "../auth/register-password.js";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import type { RegisterAddress } from "../settlement/register-requests.js";
import { mayPublish, maySubscribe } from "./register-acl.js";
import type { Clock } from "../clock.js";
import { addressKey } from "../auth/client-address.js";
import type { LoginThrottle } from "./login-throttle.js";
import { LoginAdmission, type AdmissionCounts, type AdmissionPolicy } from "./login-admission.js";

// CONNACK return codes, MQTT 3.1.1 §3.2.2.3 (aedes declares them as an ambient const enum).
const CONNACK_IDENTIFIER_REJECTED = 2;
const CONNACK_SERVER_UNAVAILABLE = 3;
const CONNACK_BAD_USERNAME_OR_PASSWORD = 4;
const CONNACK_NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: 2 | 3 | 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

export type BrokerHooks = Required<Pick<AedesOptions, "preConnect" | "authenticate" | "authorizePublish" | "authorizeSubscribe">> & {
  /** The register a connected client authenticated as. */
  identityOf(client: Client): RegisterAddress | undefined;
  /** A TLS handshake failed (no client certificate, an unknown CA, plaintext on the TLS port). */
  onTlsClientError?(error: Error): void;
  /** Login admission so far (metrics: codepay_mqtt_login_admissions_total, codepay_mqtt_login_queue_depth). */
  loginAdmission(): LoginAdmissionStats;
};

export interface LoginAdmissionStats extends AdmissionCounts {
  readonly queueDepth: number;
  /** Old scrypt rows rewritten into the keyed form at their register's login. */
  readonly rehashed: number;
}

export const DEFAULT_LOGIN_ADMISSION: AdmissionPolicy = {
  loginsPerSecondMax: limits.mqttLoginsPerSecondMax,
  loginBurstMax: limits.mqttLoginBurstMax,
  loginsInFlightMax: limits.mqttLoginsInFlightMax,
  loginQueueMax: limits.mqttLoginQueueMax,
  loginQueueWaitMsMax: limits.mqttLoginQueueWaitMsMax,
};

export interface BrokerHookOptions {
  /** The deployment's register key (auth/register-key.ts): every register password is checked with it. */
  readonly registerKey: RegisterKey;
  /** Logins checked at a bounded rate (default DEFAULT_LOGIN_ADMISSION on performance.now; tests inject a clock). */
  readonly loginAdmission?: { readonly policy?: AdmissionPolicy; readonly now?: () => number };
  /**
   * On TLS connections, require a verified client certificate whose CN is the client id
   * (`admin tls issue-register`). Plain TCP connections are not affected.
   */
  readonly requireClientCertOnTls?: boolean;
  /** Failed logins per address (and username) hold back the next attempts before the password check. */
  readonly loginThrottle?: { readonly throttle: LoginThrottle; readonly clock: Clock };
}

/** At most `max` tasks at once; the rest wait in order. */
class Slots {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#running -= 1;
    }
  }
}

interface PendingLogin {
  readonly client: Client;
  readonly username: string | undefined;
  readonly password: Buffer | undefined;
  readonly done: (error: AuthenticateError | null, success: boolean | null) => void;
}

/** The client's address as a throttle key; connections without one (in-memory streams in tests) share one key. */
function clientAddress(client: Client): string {
  const remote = (client as unknown as { conn?: { remoteAddress?: unknown } }).conn?.remoteAddress;
  return typeof remote === "string" ? addressKey(remote) : "unknown";
}

/** The CN of a TLS client's verified certificate; undefined when none was verified. */
function verifiedCommonName(client: Client): { tls: boolean; cn?: string } {
  const conn: unknown = (client as unknown as { conn?: unknown }).conn;
  if (!(conn instanceof TLSSocket)) return { tls: false };
  if (!conn.authorized) return { tls: true };
  const cn = conn.getPeerCertificate().subject?.CN;
  return { tls: true, ...(typeof cn === "string" ? { cn } : {}) };
}

export function createBrokerHooks(db: Db, logger: Logger, options: BrokerHookOptions): BrokerHooks {
  const identities = new WeakMap<Client, RegisterAddress>();
  let rehashed = 0;

  // Old scrypt rows run on libuv's pool of 4 threads, which the SQLite WAL fdatasync and file I/O
  // need too: at most this many at once, so a migration storm cannot hold back the commits of payments.
  const scryptSlots = new Slots(limits.registerScryptChecksInFlightMax);

  /** A keyed row is one HMAC; an old scrypt row pays its scrypt once and is rewritten in the keyed form. */
  async function passwordMatches(registerId: string, storedHash: string, password: string): Promise<boolean> {
    const check = isKeyedRegisterHash(storedHash)
      ? await checkRegisterPassword(options.registerKey, password, storedHash)
      : await scryptSlots.run(() => checkRegisterPassword(options.registerKey, password, storedHash));
    if (!check.ok) {
      if (check.reason !== "wrong password") logger.error({ registerId, reason: check.reason }, "register password hash cannot be checked with this instance's register key (SECURITY.md: every instance needs the same register-key file)");
      return false;
    }
    if (check.rehash) {
      try {
        if (await replaceRegisterPasswordHash(db, registerId, storedHash, hashRegisterPassword(options.registerKey, password))) rehashed += 1;
      } catch (error) {
        // The login stands; the next one tries again.
        logger.warn({ err: error, registerId }, "could not rehash an old scrypt register password");
      }
    }
    return true;
  }

  async function checkCredentials(client: Client, username: string | undefined, password: Buffer | undefined): Promise<RegisterAddress> {
    if (username === undefined || username === "" || password === undefined) {
      throw authError("anonymous connections are refused", CONNACK_BAD_USERNAME_OR_PASSWORD);
    }
    if (client.id !== username) throw authError(`client id must equal the register id`, CONNACK_IDENTIFIER_REJECTED);
    if (options.requireClientCertOnTls === true) {
      const peer = verifiedCommonName(client);
      if (peer.tls && peer.cn === undefined) throw authError("TLS_CLIENT_CERT_MISSING: no verified client certificate", CONNACK_NOT_AUTHORIZED);
      if (peer.tls && peer.cn !== client.id) {
        throw authError(`TLS_CLIENT_CERT_MISMATCH: certificate CN ${JSON.stringify(peer.cn)} is not the client id`, CONNACK_NOT_AUTHORIZED);
      }
    }
    const register = await findRegister(db, username);
    // Unknown and wrong password look the same to the client, so ids cannot be probed.
    const passwordOk = register !== undefined && (await passwordMatches(register.id, register.passwordHash, password.toString("utf8")));
    if (register === undefined || !passwordOk) throw authError("bad register id or password", CONNACK_BAD_USERNAME_OR_PASSWORD);
    // MQTT 3.1.1 has no reason strings: the client sees "not authorized"; the log names REGISTER_DISABLED.
    if (register.disabled) throw authError("REGISTER_DISABLED: an operator disabled this register", CONNACK_NOT_AUTHORIZED);
    return { storeId: register.storeId, registerId: register.id };
  }

  const throttle = options.loginThrottle;
  const admissionNow = options.loginAdmission?.now ?? (() => performance.now());
  const admission = new LoginAdmission<PendingLogin>(options.loginAdmission?.policy ?? DEFAULT_LOGIN_ADMISSION, admissionNow());
  let admissionTimer: NodeJS.Timeout | undefined;

  function refuseBusy(login: PendingLogin, why: string): void {
    logger.debug({ clientId: login.client.id, why }, "register login refused for now: server busy (CONNACK 3)");
    login.done(authError(`SERVER_BUSY: ${why}; try again later`, CONNACK_SERVER_UNAVAILABLE), false);
  }

  /** Starts what the admission lets through, refuses what waited too long, and looks again when it says. */
  function pumpAdmission(): void {
    const { admit, expire, nextInMs } = admission.drain(admissionNow());
    for (const login of expire) refuseBusy(login, "waited too long for a login slot");
    for (const login of admit) runLogin(login);
    if (admissionTimer !== undefined) clearTimeout(admissionTimer);
    admissionTimer = nextInMs === undefined ? undefined : setTimeout(pumpAdmission, nextInMs);
    admissionTimer?.unref();
  }

  function runLogin(login: PendingLogin): void {
    const { client, username, done } = login;
    const settle = (): void => {
      admission.finished();
      if (admission.queueDepth > 0) pumpAdmission();
    };
    // A client that gave up while waiting (closed its socket) costs no lookup.
    if (client.closed) return settle();
    checkCredentials(client, username, login.password).then(
      (identity) => {
        settle();
        throttle?.throttle.succeeded(clientAddress(client), username ?? "");
        identities.set(client, identity);
        logger.info({ registerId: identity.registerId, storeId: identity.storeId }, "register connected");
        done(null, true);
      },
      (error: unknown) => {
        settle();
        const refusal = error instanceof Error && "returnCode" in error ? (error as AuthenticateError) : authError("authentication failed", CONNACK_BAD_USERNAME_OR_PASSWORD);
        if (refusal !== error) logger.error({ err: error }, "authentication failed unexpectedly");
        throttle?.throttle.failed(clientAddress(client), username ?? "", throttle.clock());
        logger.warn({ clientId: client.id, username, reason: refusal.message }, "register connection refused");
        done(refusal, false);
      },
    );
  }

  return {
    identityOf: (client) => identities.get(client),
    preConnect(client, packet, done) {
      if (throttle === undefined) return done(null, true);
      const address = clientAddress(client);
      const verdict = throttle.throttle.check(address, packet.username ?? "", throttle.clock());
      if (!verdict.refused) return done(null, true);
      // No CONNACK and no scrypt: an error from preConnect makes aedes destroy the socket at once.
      logger.warn({ address, username: packet.username, scope: verdict.scope, retryAfterS: Math.ceil(verdict.retryAfterMs / 1_000) }, "MQTT login throttled after failed logins: refused before the password check");
      done(new Error("MQTT login throttled"), false);
    },
    onTlsClientError(error) {
      logger.warn({ reason: error.message }, "TLS handshake refused (MQTT over TLS)");
    },
    authenticate(client, username, password, done) {
      const login: PendingLogin = { client, username, password, done };
      const decision = admission.offer(login, admissionNow());
      if (decision === "admitted") runLogin(login);
      else if (decision === "refused") refuseBusy(login, "the login queue is full");
      else pumpAdmission();
    },
    loginAdmission: () => ({ ...admission.counts, queueDepth: admission.queueDepth, rehashed }),
    authorizePublish(client, packet, done) {
      if (client === null) return done(null); // the server's own publishes
      const identity = identities.get(client);
      if (identity !== undefined && mayPublish(identity, packet.topic)) return done(null);
      logger.warn({ clientId: client.id, topic: packet.topic }, "publish refused by ACL; disconnecting");
      done(new Error("publish not allowed on this topic"));
    },
    authorizeSubscribe(client, subscription, done) {
      const identity = identities.get(client);
      if (identity !== undefined && maySubscribe(identity, subscription.topic)) return done(null, subscription);
      logger.warn({ clientId: client.id, topic: subscription.topic }, "subscribe refused by ACL");
      done(null, null); // SUBACK 0x80 for this filter; the connection stays up
    },
  };
}
