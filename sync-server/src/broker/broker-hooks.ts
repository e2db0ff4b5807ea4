/**
 * aedes security hooks (DESIGN-NOTES "MQTT"): authenticate each register against the database,
 * then confine it to its own topics. The identity found at CONNECT is remembered per client so
 * the ACL never trusts anything the client says later.
 */
import { TLSSocket } from "node:tls";
import type { AedesOptions, AuthenticateError, Client } from "aedes";
import type { Db } from "../db/database.js";
import { findRegister } from "../db/repositories/registers.js";
import { verifyPassword } from "../auth/password-hash.js";
import { VerifiedCredentials } from "../auth/verified-credentials.js";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import type { RegisterAddress } from "../settlement/register-requests.js";
import { mayPublish, maySubscribe } from "./register-acl.js";
import type { Clock } from "../clock.js";
import { addressKey } from "../auth/client-address.js";
import type { LoginThrottle } from "./login-throttle.js";

// CONNACK return codes, MQTT 3.1.1 §3.2.2.3 (aedes declares them as an ambient const enum).
const CONNACK_IDENTIFIER_REJECTED = 2;
const CONNACK_BAD_USERNAME_OR_PASSWORD = 4;
const CONNACK_NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: 2 | 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

export type BrokerHooks = Required<Pick<AedesOptions, "preConnect" | "authenticate" | "authorizePublish" | "authorizeSubscribe">> & {
  /** The register a connected client authenticated as. */
  identityOf(client: Client): RegisterAddress | undefined;
  /** A TLS handshake failed (no client certificate, an unknown CA, plaintext on the TLS port). */
  onTlsClientError?(error: Error): void;
};

export interface BrokerHookOptions {
  /**
   * On TLS connections, require a verified client certificate whose CN is the client id
   * (`admin tls issue-register`). Plain TCP connections are not affected.
   */
  readonly requireClientCertOnTls?: boolean;
  /** Failed logins per address (and username) hold back the next attempts before the password check. */
  readonly loginThrottle?: { readonly throttle: LoginThrottle; readonly clock: Clock };
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

export function createBrokerHooks(db: Db, logger: Logger, options: BrokerHookOptions = {}): BrokerHooks {
  const identities = new WeakMap<Client, RegisterAddress>();
  const verified = new VerifiedCredentials(limits.registerLoginsRememberedMax);

  /** scrypt once per register and stored hash; a reconnect with the same password is one SHA-256. */
  async function passwordMatches(registerId: string, storedHash: string, password: string): Promise<boolean> {
    if (verified.has(registerId, storedHash, password)) return true;
    if (!(await verifyPassword(password, storedHash))) return false;
    verified.remember(registerId, storedHash, password);
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
      checkCredentials(client, username, password).then(
        (identity) => {
          throttle?.throttle.succeeded(clientAddress(client), username ?? "");
          identities.set(client, identity);
          logger.info({ registerId: identity.registerId, storeId: identity.storeId }, "register connected");
          done(null, true);
        },
        (error: unknown) => {
          const refusal = error instanceof Error && "returnCode" in error ? (error as AuthenticateError) : authError("authentication failed", CONNACK_BAD_USERNAME_OR_PASSWORD);
          if (refusal !== error) logger.error({ err: error }, "authentication failed unexpectedly");
          throttle?.throttle.failed(clientAddress(client), username ?? "", throttle.clock());
          logger.warn({ clientId: client.id, username, reason: refusal.message }, "register connection refused");
          done(refusal, false);
        },
      );
    },
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
