/**
 * What a nats-server cluster (Debian's 2.9: MQTT 3.1.1 on JetStream, docs/deploy/broker-cluster.md)
 * needs to carry the registers' line; pure, text in and text out.
 *   authorization  one user per register and per server instance, named by its certificate's subject
 *                  (`verify_and_map`: the CN a register's certificate carries, from `admin tls
 *                  issue-register`, is who it is, whatever it sends in CONNECT), each register
 *                  confined to its own three subjects, the server instances to every register's
 *   node config    one per node: its name, the routes to the others, JetStream's store, the NATS
 *                  listener (server instances) and the MQTT listener (registers), both TLS with
 *                  client certificates, and an `include` of the authorization file every node shares
 * MQTT topics become NATS subjects with `/` as `.` (`codepay/v1/s/r/up` is `codepay.v1.s.r.up`);
 * store and register ids are slugs (no `.`, space, `*` or `>`), so the conversion is one to one.
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

/**
 * The users every node includes. Server instances: NATS (the request queue group) and MQTT (results
 * at QoS 1: a NATS publish reaches an MQTT subscriber at QoS 0 only, so results go out over MQTT).
 * Registers: MQTT only, their own up and status to publish, their own down to read.
 */
export function renderNatsAuthorization(registers: readonly ClusterRegisterAccount[], services: readonly string[]): string {
  const users = [
    ...services.map((service) => userEntry(certificateUser(service), ["STANDARD", "MQTT"], [natsSubject(`${TOPIC_ROOT}/+/+/down`)], [natsSubject(ALL_UP_TOPICS), natsSubject(ALL_STATUS_TOPICS)])),
    ...registers.map((register) =>
      userEntry(
        certificateUser(register.registerId),
        ["MQTT"],
        [natsSubject(upTopic(register.storeId, register.registerId)), natsSubject(statusTopic(register.storeId, register.registerId))],
        [natsSubject(downTopic(register.storeId, register.registerId)), MQTT_CONSUMER_DELIVERY],
      ),
    ),
  ];
  return [HEADER, "authorization {", "  users: [", ...users, "  ]", "}", ""].join("\n");
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
