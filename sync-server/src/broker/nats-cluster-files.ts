/**
 * What a nats-server cluster (Debian's 2.9: MQTT 3.1.1 on JetStream, docs/deploy/broker-cluster.md)
 * needs to carry the registers' line; pure, text in and text out.
 *   authorization  NATS accounts: the registers partitioned over K register accounts (each its own
 *                  JetStream streams: sessions, QoS 1 messages, retained presence), and one account
 *                  for the server instances that imports from every register account. Users are
 *                  named by their certificate's subject (`verify_and_map`: the CN a certificate carries,
 *                  from `admin tls issue-register`, is who it is, whatever it sends in CONNECT); each
 *                  register is confined to its own three subjects
 *   node config    one per node: its name, the routes to the others, JetStream's store, the NATS
 *                  listener (server instances) and the MQTT listener (registers), both TLS with
 *                  client certificates, and an `include` of the authorization file every node shares
 * MQTT topics become NATS subjects with `/` as `.` (`codepay/v1/s/r/up` is `codepay.v1.s.r.up`);
 * store and register ids are slugs (no `.`, space, `*` or `>`), so the conversion is one to one.
 *
 * How an instance reaches K accounts through one connection (checked against nats-server 2.9.10 on
 * this machine, tests in harness/test/scale and harness/test/security):
 *   in   each register account exports its `up` and `status` subjects as streams; the instances'
 *        account imports them with the prefix `a<k>.`: `a3.codepay.v1.s.r.up` is register r's request
 *        in account 3
 *   out  each register account exports `$MQTT.msgs.codepay.v1.>` as a service, imported as
 *        `a<k>.deliver.codepay.v1.>`. A NATS request there is stored in that account's `$MQTT_msgs`
 *        stream (the reply is JetStream's acknowledgement, sent once the replicas have it) and reaches
 *        the register's session at QoS 1, also when it is away: what an MQTT QoS 1 publish does,
 *        without an MQTT connection (and its certificate) per account
 */
import { dirname, relative } from "node:path";
import { ALL_STATUS_TOPICS, ALL_UP_TOPICS, TOPIC_ROOT, downTopic, statusTopic, upTopic } from "@codepay/contract";
import { limits } from "../limits.js";

/** A register or server instance, as the cluster knows it: the CN of its client certificate. */
export interface ClusterRegisterAccount {
  readonly registerId: string;
  readonly storeId: string;
}

/** The subject an MQTT topic (or filter: `+` is `*`, `#` is `>`) is on the NATS side. */
export function natsSubject(topic: string): string {
  return topic
    .split("/")
    .map((level) => (level === "+" ? "*" : level === "#" ? ">" : level))
    .join(".");
}

/** The MQTT topic a register subject came from (the inverse of natsSubject for concrete topics). */
export function mqttTopic(subject: string): string {
  return subject.split(".").join("/");
}

/** The subject a client certificate with this CN is known by (RFC 2253 string of `/CN=<name>`). */
export function certificateUser(commonName: string): string {
  return `CN=${commonName}`;
}

/**
 * Where a QoS 1 subscription's JetStream consumer delivers, inside the client's own connection: every
 * MQTT subscriber at QoS 1 needs subscribe permission on it (nats-server 2.9 `mqtt.go`,
 * processJSConsumer, `$MQTT.sub.<nuid>`). An MQTT client cannot subscribe there itself: the server
 * refuses any filter starting `$MQTT.sub.` (processSubs), and a wider filter (`+/sub/#`, `#`) is not
 * inside this allowance; the foreign-client tests prove both.
 */
const MQTT_CONSUMER_DELIVERY = "$MQTT.sub.>";

function quoted(value: string): string {
  return JSON.stringify(value);
}

function list(values: readonly string[]): string {
  return `[${values.map(quoted).join(", ")}]`;
}

function userEntry(user: string, connectionTypes: readonly string[], publish: readonly string[], subscribe: readonly string[]): string {
  return `    { user: ${quoted(user)}, allowed_connection_types: ${list(connectionTypes)}, permissions: { publish: { allow: ${list(publish)} }, subscribe: { allow: ${list(subscribe)} } } }`;
}

const HEADER = "# Code Pay: written by `codepay-server admin broker files --broker nats`; regenerate instead of editing.";

/** The account the server instances share; it imports from every register account. */
export const INSTANCES_ACCOUNT = "CODEPAY_INSTANCES";

/** The name of register account `index` (0-based). */
export function registerAccountName(index: number): string {
  return `CODEPAY_REGISTERS_${index}`;
}

/**
 * Which of `accounts` register accounts a register lives in: FNV-1a (32 bit) of its id, modulo the
 * count. Stable, so every instance and every rewrite of the authorization agrees without a table;
 * changing the count moves registers (their sessions start again: see broker-cluster.md).
 */
export function registerAccountIndex(registerId: string, accounts: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < registerId.length; index += 1) {
    hash ^= registerId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % accounts;
}

/** The prefix an instance sees register account `index`'s subjects under (`a3.codepay.v1.s.r.up`). */
export function accountPrefix(index: number): string {
  return `a${index}`;
}

/** Where an instance sends a message for a register's `down` topic so that it is stored and delivered at QoS 1. */
export function deliverSubject(accountIndex: number, storeId: string, registerId: string): string {
  return `${accountPrefix(accountIndex)}.deliver.${natsSubject(downTopic(storeId, registerId))}`;
}

/** An instance-side subject split into the register account it came from and the register's subject. */
export function splitAccountSubject(subject: string): { readonly accountIndex: number; readonly subject: string } | undefined {
  const dot = subject.indexOf(".");
  const match = /^a(0|[1-9]\d{0,3})$/.exec(subject.slice(0, Math.max(dot, 0)));
  if (match === null) return undefined;
  return { accountIndex: Number(match[1]), subject: subject.slice(dot + 1) };
}

/** The most register accounts a cluster may be split into (each has its own streams on its own replica nodes). */
export const REGISTER_ACCOUNTS_MAX = 256;

/** A register accounts' count: an integer 1-REGISTER_ACCOUNTS_MAX. */
export function isRegisterAccountCount(accounts: number): boolean {
  return Number.isInteger(accounts) && accounts >= 1 && accounts <= REGISTER_ACCOUNTS_MAX;
}

/** The count as written in a flag or in nats-accounts (plain decimal, no sign or leading zero); undefined if it is none. */
export function parseRegisterAccountCount(text: string): number | undefined {
  if (!/^[1-9]\d{0,2}$/.test(text)) return undefined;
  const accounts = Number(text);
  return isRegisterAccountCount(accounts) ? accounts : undefined;
}

const MQTT_MESSAGES = "$MQTT.msgs";
const REGISTER_FAMILIES = [ALL_UP_TOPICS, ALL_STATUS_TOPICS].map(natsSubject);
const DOWN_FAMILY = natsSubject(`${TOPIC_ROOT}/#`);

/**
 * The accounts every node includes. Registers: MQTT only, their own up and status to publish, their
 * own down to read, each in the account `registerAccountIndex` names. Server instances: NATS only, in
 * one account that receives every register account's up and status (stream imports, prefixed) and
 * delivers to any register's down through the account's own message stream (service imports).
 */
export function renderNatsAuthorization(registers: readonly ClusterRegisterAccount[], services: readonly string[], accounts = 1): string {
  if (!isRegisterAccountCount(accounts)) throw new Error(`register accounts: expected an integer 1-${REGISTER_ACCOUNTS_MAX}, got ${String(accounts)}`);
  const byAccount: ClusterRegisterAccount[][] = Array.from({ length: accounts }, () => []);
  for (const register of registers) byAccount[registerAccountIndex(register.registerId, accounts)]!.push(register);
  const lines = [HEADER, `# ${String(accounts)} register account(s): the count is in nats-accounts beside this file; every instance runs with --broker-cluster-accounts ${String(accounts)}.`, "accounts {"];
  const imports: string[] = [];
  for (let index = 0; index < accounts; index += 1) {
    const name = registerAccountName(index);
    const prefix = accountPrefix(index);
    for (const family of REGISTER_FAMILIES) imports.push(`      { stream: { account: ${quoted(name)}, subject: ${quoted(family)} }, prefix: ${quoted(prefix)} }`);
    imports.push(`      { service: { account: ${quoted(name)}, subject: ${quoted(`${MQTT_MESSAGES}.${DOWN_FAMILY}`)} }, to: ${quoted(`${prefix}.deliver.${DOWN_FAMILY}`)} }`);
  }
  lines.push(`  ${INSTANCES_ACCOUNT}: {`, "    users: [");
  const instancePublish = [`*.deliver.${natsSubject(`${TOPIC_ROOT}/+/+/down`)}`];
  const instanceSubscribe = [...REGISTER_FAMILIES.map((family) => `*.${family}`), "_INBOX.>"];
  for (const service of services) lines.push(`  ${userEntry(certificateUser(service), ["STANDARD"], instancePublish, instanceSubscribe)}`);
  lines.push("    ]", "    imports: [", ...imports, "    ]", "  }");
  for (let index = 0; index < accounts; index += 1) {
    lines.push(`  ${registerAccountName(index)}: {`, "    jetstream: enabled", "    users: [");
    for (const register of byAccount[index]!) {
      lines.push(
        `  ${userEntry(
          certificateUser(register.registerId),
          ["MQTT"],
          [natsSubject(upTopic(register.storeId, register.registerId)), natsSubject(statusTopic(register.storeId, register.registerId))],
          [natsSubject(downTopic(register.storeId, register.registerId)), MQTT_CONSUMER_DELIVERY],
        )}`,
      );
    }
    lines.push("    ]", "    exports: [", ...REGISTER_FAMILIES.map((family) => `      { stream: ${quoted(family)} }`), `      { service: ${quoted(`${MQTT_MESSAGES}.${DOWN_FAMILY}`)} }`, "    ]", "  }");
  }
  lines.push("}", "");
  return lines.join("\n");
}

export interface ClusterNode {
  /** server_name: unique in the cluster (JetStream's peers are named by it). */
  readonly name: string;
  readonly host: string;
  /** NATS clients (the server instances). */
  readonly clientPort: number;
  /** Routes between the nodes. */
  readonly routePort: number;
  /** MQTT (the registers). */
  readonly mqttPort: number;
  /** HTTP monitoring (/healthz, /varz, /connz) on `host`; absent: none. */
  readonly monitorPort?: number;
}

export interface ClusterNodeFiles {
  /** JetStream's directory on this node. */
  readonly storeDir: string;
  /** Where this node's config is written, and the authorization file (nats-server resolves `include` from the config's directory only). */
  readonly configFile: string;
  readonly authorizationFile: string;
  /** PEM files: the CA that signs every client certificate, this node's certificate and key. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

function tlsBlock(files: ClusterNodeFiles, indent: string): string[] {
  return [
    `${indent}tls {`,
    `${indent}  cert_file: ${quoted(files.certFile)}`,
    `${indent}  key_file: ${quoted(files.keyFile)}`,
    `${indent}  ca_file: ${quoted(files.caFile)}`,
    `${indent}  # A client certificate is required and its subject is the user (the CN from admin tls).`,
    `${indent}  verify_and_map: true`,
    `${indent}}`,
  ];
}

export function renderNatsNodeConfig(node: ClusterNode, cluster: readonly ClusterNode[], files: ClusterNodeFiles, clusterName = "codepay"): string {
  const routes = cluster.map((peer) => `nats-route://${peer.host}:${peer.routePort}`);
  return [
    HEADER,
    `server_name: ${quoted(node.name)}`,
    `listen: ${quoted(`${node.host}:${node.clientPort}`)}`,
    ...tlsBlock(files, ""),
    "# A register's packet is refused past this (the same bound as the embedded broker's).",
    `max_payload: ${limits.mqttPacketBytesMax}`,
    ...(node.monitorPort !== undefined ? [`http: ${quoted(`${node.host}:${node.monitorPort}`)}`] : []),
    `jetstream { store_dir: ${quoted(files.storeDir)} }`,
    "cluster {",
    `  name: ${quoted(clusterName)}`,
    `  listen: ${quoted(`${node.host}:${node.routePort}`)}`,
    `  routes: ${list(routes)}`,
    "}",
    "mqtt {",
    `  listen: ${quoted(`${node.host}:${node.mqttPort}`)}`,
    ...tlsBlock(files, "  "),
    "  # Sessions, QoS 1 messages and retained presence live in JetStream streams with this many",
    "  # replicas: a register whose node is lost resumes its session on another node.",
    `  stream_replicas: ${Math.min(limits.clusterStreamReplicas, cluster.length)}`,
    "  # An unacknowledged QoS 1 result goes out again after this long (also after a failover).",
    `  ack_wait: ${quoted(`${Math.round(limits.clusterMqttAckWaitMs / 1_000)}s`)}`,
    "}",
    `include ${quoted(relative(dirname(files.configFile), files.authorizationFile))}`,
    "",
  ].join("\n");
}
