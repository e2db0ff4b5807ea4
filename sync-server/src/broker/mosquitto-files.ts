/**
 * The files an external mosquitto needs to stand in for the embedded broker (pure: text in, text out).
 *   passwd  one `user:$7$...` line per enabled register and per server instance's service account
 *   acl     every register confined to its own three topics, spelled out (no patterns: a `+` for the
 *           store level would let a register publish under another store's prefix); the service
 *           accounts read every register's up and status and write every down
 *   codepay.conf  the listener: no anonymous clients, use_username_as_clientid (a register cannot take
 *           over another's session by choosing its client id), the two files above
 */
import { limits } from "../limits.js";
import { TLS12_CIPHER_LIST } from "../tls-policy.js";
import { ALL_STATUS_TOPICS, ALL_UP_TOPICS, TOPIC_ROOT, downTopic, statusTopic, upTopic } from "@codepay/contract";

export interface BrokerRegisterAccount {
  readonly registerId: string;
  readonly storeId: string;
  readonly brokerPasswordHash: string;
}

export interface BrokerServiceAccount {
  readonly username: string;
  readonly brokerPasswordHash: string;
}

export interface BrokerListener {
  readonly port: number;
  /** Address to bind; the dedicated line's interface. */
  readonly host: string;
}

/**
 * The registers' listener over TLS: a client certificate is required, and its CN (the register id,
 * `admin tls issue-register`) becomes the user name, so the ACL applies to the certificate's owner
 * whatever user name the client sends; the plain listener is then for the server instances.
 */
export interface BrokerTlsListener extends BrokerListener {
  /** PEM files: the CA that signs register certificates, the broker's certificate and key. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

const HEADER = "# Code Pay: written by `codepay-server admin broker files`; regenerate instead of editing.";
/** Service account names: codepay-server-1, -2, ... (one per instance, so their sessions never collide). */
export const SERVICE_USERNAME_PREFIX = "codepay-server-";

export function serviceUsername(instance: number): string {
  return `${SERVICE_USERNAME_PREFIX}${instance}`;
}

export function renderPasswordFile(registers: readonly BrokerRegisterAccount[], services: readonly BrokerServiceAccount[]): string {
  const lines = [...services.map((s) => `${s.username}:${s.brokerPasswordHash}`), ...registers.map((r) => `${r.registerId}:${r.brokerPasswordHash}`)];
  return `${lines.join("\n")}\n`;
}

export function renderAclFile(registers: readonly BrokerRegisterAccount[], services: readonly BrokerServiceAccount[]): string {
  const blocks = [HEADER];
  for (const service of services) {
    blocks.push(
      [
        `# server instance: register requests and presence (through $share/<group>/...), results to every register`,
        `user ${service.username}`,
        `topic read ${ALL_UP_TOPICS}`,
        `topic read ${ALL_STATUS_TOPICS}`,
        `topic write ${TOPIC_ROOT}/+/+/down`,
      ].join("\n"),
    );
  }
  for (const register of registers) {
    blocks.push(
      [
        `# register ${register.registerId} of store ${register.storeId}: its own topics only`,
        `user ${register.registerId}`,
        `topic write ${upTopic(register.storeId, register.registerId)}`,
        `topic write ${statusTopic(register.storeId, register.registerId)}`,
        `topic read ${downTopic(register.storeId, register.registerId)}`,
      ].join("\n"),
    );
  }
  return `${blocks.join("\n\n")}\n`;
}

export function renderBrokerConfig(paths: { passwordFile: string; aclFile: string }, listener: BrokerListener, tls?: BrokerTlsListener): string {
  const tlsLines =
    tls === undefined
      ? []
      : [
          "# Registers over TLS: certificate required, its CN (the register id) is the user name and the client id.",
          `listener ${tls.port} ${tls.host}`,
          `cafile ${tls.caFile}`,
          `certfile ${tls.certFile}`,
          `keyfile ${tls.keyFile}`,
          "require_certificate true",
          "use_identity_as_username true",
          "use_username_as_clientid true",
          "tls_version tlsv1.2",
          "# TLS 1.2 with ECDHE and AEAD ciphers only (tls-policy.ts); TLS 1.3's suites are all AEAD.",
          `ciphers ${TLS12_CIPHER_LIST}`,
        ];
  return [
    HEADER,
    "# Include it from /etc/mosquitto/conf.d/, or run `mosquitto -c` on it. TLS: docs/deploy/README.md.",
    "per_listener_settings false",
    "allow_anonymous false",
    `password_file ${paths.passwordFile}`,
    `acl_file ${paths.aclFile}`,
    "# A register's QoS 1 results wait for it while it is away (clean: false sessions).",
    "max_queued_messages 1000",
    "# Nagle's algorithm adds tens of ms to every request/reply round trip (DESIGN-NOTES, MQTT).",
    "set_tcp_nodelay true",
    "# A packet announcing more than this is refused and its client disconnected before the broker reads it whole.",
    `max_packet_size ${limits.mqttPacketBytesMax}`,
    tls === undefined ? "# Registers and server instances, user name and password." : "# Server instances (and registers without certificates), user name and password.",
    `listener ${listener.port} ${listener.host}`,
    "use_username_as_clientid true",
    ...tlsLines,
    "",
  ].join("\n");
}
