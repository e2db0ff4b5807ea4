/**
 * Operations (issue 5): Prometheus metrics (prom-client) and a health report for the server, served
 * on the operator listener (operator/operator-app.ts; issue 18: never on a public listener) as
 * `GET /metrics` and `GET /health`.
 *   codepay_payments{state}                    payments by outcome, read from the database at scrape
 *   codepay_registers{presence}                enabled registers online / offline / unknown (fleet health, at scrape)
 *   codepay_register_devices{device,state}     devices of online registers by reported state (fleet health, at scrape)
 *   codepay_register_requests_total{type,outcome}  register requests answered (outcome: the reply type or error code)
 *   codepay_register_request_seconds{type}     arrival on the line -> reply published
 *   codepay_shopper_request_seconds{route,status}  phone requests through the shopper API
 *   codepay_connected_registers                MQTT clients connected to the embedded broker
 *   codepay_outbox_depth                       pushed results not yet acknowledged by their register
 *   codepay_sqlite_wal_fsyncs                  SQLite group commit: WAL fdatasyncs since start (absent on PostgreSQL)
 *   codepay_sqlite_fsync_waiters               SQLite group commit: connection uses that waited for one of them
 *   codepay_sqlite_wal_fsync_seconds           SQLite group commit: how long each WAL fdatasync took
 *   codepay_sqlite_background_checkpoints      SQLite: WAL checkpoints run on the worker thread (db/wal-checkpointer.ts)
 *   codepay_sqlite_checkpoint_frames           SQLite: WAL frames those copied into the database file
 *   codepay_mqtt_packets_refused_total{reason} MQTT connections closed for an oversize packet header (broker/packet-size-guard.ts)
 *   codepay_sql_statements_total               SQL statements sent to the database since start (observability/sql-statements.ts)
 *   codepay_sql_write_transactions_total       write transactions committed since start, autocommitted writes included (same module)
 *   codepay_mqtt_login_admissions_total{decision}  MQTT logins by admission: admitted_at_once, queued, admitted_from_queue,
 *                                              refused_queue_full, refused_waited_too_long (both refused with CONNACK 3)
 *   codepay_mqtt_login_queue_depth             MQTT logins waiting for a slot now
 *   codepay_register_passwords_rehashed_total  old scrypt register rows rewritten in the keyed form at login
 *   codepay_code_random_digits                 random digits of a code issued now (sized to the registers: SECURITY.md)
 *   codepay_database_up                        1 while the database answers, 0 while PostgreSQL is down (issue 24)
 *   codepay_database_outages_total             PostgreSQL outages seen since start (each: refusals until a probe answered)
 *   codepay_storage_state{state}               SQLite: 1 for the disk's state now (ok, low, full), 0 for the others
 *   codepay_storage_free_bytes                 SQLite: free bytes on the data directory's filesystem at the last look
 *   codepay_storage_full_errors_total          SQLite: statements and commits refused with SQLITE_FULL since start
 *   codepay_sqlite_wal_truncations             SQLite: TRUNCATE checkpoints that cut a WAL past its bound
 *   codepay_sqlite_checkpoint_restarts         SQLite: background checkpoints started again after a failure
 * plus prom-client's default process metrics.
 */
import type { ShopperApp } from "../shopper-api/app.js";
import type { OperatorApp } from "../operator/operator-app.js";
import client from "prom-client";
import type { RegisterLine } from "../broker/register-line.js";
import { databaseAvailabilityOf, groupCommitStatsOf, observeWalSyncs, type Db } from "../db/database.js";
import type { StorageReport, StorageState } from "../db/storage-monitor.js";
import { DEVICE_HEALTH_STATES, FLEET_DEVICES, RegisterRequestSchema, type ServerMessage } from "@codepay/contract";
import { listRegisterHealth } from "../db/repositories/register-presence.js";
import { sqlStatementsTotal, sqlWriteTransactionsTotal } from "./sql-statements.js";
import type { LoginAdmissionStats } from "../broker/broker-hooks.js";
import { PACKET_REFUSALS, type PacketRefusal } from "../broker/packet-size-guard.js";
import type { TlsHandshakeCounts } from "../broker/mqtt-broker.js";

export interface ObservabilitySource {
  readonly db: Db;
  readonly connectedRegisters: () => number;
  /** The embedded broker's login admission (broker/broker-hooks.ts); absent with an external broker. */
  readonly loginAdmission?: () => LoginAdmissionStats;
  /** The embedded broker's connections closed for an oversize packet header (broker/packet-size-guard.ts). */
  readonly mqttPacketsRefused?: () => Readonly<Record<PacketRefusal, number>>;
  /** The embedded broker's TLS listener: handshakes completed, full and resumed from a session ticket. */
  readonly mqttTlsHandshakes?: () => TlsHandshakeCounts;
  readonly brokerUp: () => boolean;
  /** Random digits of a code issued now (settlement/code-length-sizer.ts). */
  readonly codeRandomDigits?: () => number;
  /** SQLite: the disk under the database (db/storage-monitor.ts): as of the last look, and read now. */
  readonly storage?: { readonly report: () => StorageReport; readonly current: () => Promise<StorageReport> };
}

const STORAGE_STATES: readonly StorageState[] = ["ok", "low", "full"];

/**
 * The `type` label takes only the request types of the contract: a register sending made-up types
 * must not create a time series per string (each costs memory in the registry and bytes in every
 * scrape). Anything else is counted as "unknown".
 */
const REQUEST_TYPE_LABELS: ReadonlySet<string> = new Set(RegisterRequestSchema.options.map((schema) => schema.shape.type.value));

export function requestTypeLabel(type: string): string {
  return REQUEST_TYPE_LABELS.has(type) ? type : "unknown";
}

/** Requests waiting for their reply, bounded so a register that is never answered cannot grow it. */
const pendingRequestsMax = 10_000;

export interface HealthReport {
  readonly status: "ok" | "degraded";
  readonly mqtt: { readonly broker: "up" | "down"; readonly connectedRegisters: number };
  readonly database: "up" | "down";
  /** SQLite: the disk under the database; "full" makes the status degraded, "low" does not (a warning). */
  readonly storage?: StorageReport;
  readonly outboxDepth: number | null;
}

export class ServerMetrics {
  readonly registry = new client.Registry();
  readonly #requests: client.Counter<"type" | "outcome">;
  readonly #requestSeconds: client.Histogram<"type">;
  readonly #shopperSeconds: client.Histogram<"route" | "status">;
  readonly #pending = new Map<string, { type: string; startedAt: bigint }>();
  /** Label children made once per label set and kept (prom-client hashes the labels on every call otherwise). */
  readonly #children = new Map<string, client.Counter.Internal | client.Histogram.Internal<string>>();

  constructor(private readonly source: ObservabilitySource) {
    client.collectDefaultMetrics({ register: this.registry, prefix: "codepay_process_" });
    const registers = [this.registry];
    this.#requests = new client.Counter({ name: "codepay_register_requests_total", help: "Register requests answered, by type and outcome", labelNames: ["type", "outcome"], registers });
    this.#requestSeconds = new client.Histogram({
      name: "codepay_register_request_seconds",
      help: "Register request latency: arrival on the line to reply published",
      labelNames: ["type"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.#shopperSeconds = new client.Histogram({
      name: "codepay_shopper_request_seconds",
      help: "Shopper API latency by route and status",
      labelNames: ["route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    new client.Gauge({ name: "codepay_connected_registers", help: "MQTT clients connected to the embedded broker", registers, collect() {
      this.set(source.connectedRegisters());
    } });
    new client.Counter({ name: "codepay_sql_statements_total", help: "SQL statements sent to the database since start", registers, collect() {
      this.reset();
      this.inc(sqlStatementsTotal());
    } });
    new client.Counter({ name: "codepay_sql_write_transactions_total", help: "Write transactions committed since start (a changing statement outside a transaction counts as one)", registers, collect() {
      this.reset();
      this.inc(sqlWriteTransactionsTotal());
    } });
    const loginAdmission = source.loginAdmission;
    if (loginAdmission !== undefined) registerLoginAdmissionMetrics(registers, loginAdmission);
    const packetsRefused = source.mqttPacketsRefused;
    if (packetsRefused !== undefined) {
      new client.Counter({ name: "codepay_mqtt_packets_refused_total", help: "MQTT connections closed because a packet header announced more than its bound, by reason", labelNames: ["reason"], registers, collect() {
        this.reset();
        const counts = packetsRefused();
        for (const reason of PACKET_REFUSALS) this.inc({ reason }, counts[reason]);
      } });
    }
    const tlsHandshakes = source.mqttTlsHandshakes;
    if (tlsHandshakes !== undefined) {
      new client.Counter({ name: "codepay_mqtt_tls_handshakes_total", help: "TLS handshakes completed on the MQTT/TLS listener, by session: full, or resumed from a session ticket", labelNames: ["session"], registers, collect() {
        this.reset();
        const counts = tlsHandshakes();
        this.inc({ session: "full" }, counts.full);
        this.inc({ session: "resumed" }, counts.resumed);
      } });
    }
    const codeRandomDigits = source.codeRandomDigits;
    if (codeRandomDigits !== undefined) {
      new client.Gauge({ name: "codepay_code_random_digits", help: "Random digits of a payment code issued now (the check digit comes on top)", registers, collect() {
        this.set(codeRandomDigits());
      } });
    }
    const outboxDepth = (): Promise<number | null> => this.outboxDepth();
    new client.Gauge({ name: "codepay_outbox_depth", help: "Pushed results not yet acknowledged by their register", registers, async collect() {
      this.set((await outboxDepth()) ?? -1);
    } });
    const db = source.db;
    registerDatabaseFaultMetrics(registers, db, source.storage?.report);
    const groupCommit = groupCommitStatsOf(db);
    if (groupCommit !== undefined) {
      new client.Gauge({ name: "codepay_sqlite_wal_fsyncs", help: "SQLite group commit: WAL fdatasyncs since start", registers, collect() {
        this.set(groupCommit.syncs);
      } });
      new client.Gauge({ name: "codepay_sqlite_fsync_waiters", help: "SQLite group commit: transactions and queries that waited for a WAL fdatasync", registers, collect() {
        this.set(groupCommit.waiters);
      } });
      const fsyncSeconds = new client.Histogram({
        name: "codepay_sqlite_wal_fsync_seconds",
        help: "SQLite group commit: how long each WAL fdatasync took",
        buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
        registers,
      });
      observeWalSyncs(db, (durationMs) => fsyncSeconds.observe(durationMs / 1000));
      new client.Gauge({ name: "codepay_sqlite_background_checkpoints", help: "SQLite: WAL checkpoints the worker thread ran that copied frames", registers, collect() {
        this.set(groupCommit.checkpoints);
      } });
      new client.Gauge({ name: "codepay_sqlite_checkpoint_frames", help: "SQLite: WAL frames the worker thread copied into the database file", registers, collect() {
        this.set(groupCommit.checkpointFrames);
      } });
    }
    new client.Gauge({ name: "codepay_payments", help: "Payments by state (outcome), from the database", labelNames: ["state"], registers, async collect() {
      this.reset();
      // The database down (PostgreSQL restarting): the other metrics still scrape; this one is empty meanwhile.
      const rows = await db.selectFrom("payments").select(["state", db.fn.countAll<number>().as("count")]).groupBy("state").execute().catch(() => []);
      for (const row of rows) this.set({ state: row.state }, Number(row.count));
    } });
    // Fleet health (issue 20): bounded labels, every value of them set (0 included) so a dashboard sees them go to 0.
    const fleet = async () => listRegisterHealth(db).catch(() => undefined);
    new client.Gauge({ name: "codepay_registers", help: "Enabled registers by what the server last heard of them (online, offline, unknown: never)", labelNames: ["presence"], registers, async collect() {
      this.reset();
      const rows = await fleet();
      if (rows === undefined) return;
      for (const presence of ["online", "offline", "unknown"] as const) this.set({ presence }, rows.filter((row) => !row.disabled && row.presence === presence).length);
    } });
    new client.Gauge({ name: "codepay_register_devices", help: "Devices of registers online, by device and reported state", labelNames: ["device", "state"], registers, async collect() {
      this.reset();
      const rows = await fleet();
      if (rows === undefined) return;
      const online = rows.filter((row) => !row.disabled && row.presence === "online");
      for (const device of FLEET_DEVICES) for (const state of DEVICE_HEALTH_STATES) this.set({ device, state }, online.filter((row) => row.devices[device] === state).length);
    } });
  }

  async outboxDepth(): Promise<number | null> {
    try {
      const row = await this.source.db.selectFrom("outbox").select(this.source.db.fn.countAll<number>().as("count")).where("acked_at", "is", null).executeTakeFirst();
      return Number(row?.count ?? 0);
    } catch {
      return null;
    }
  }

  async health(): Promise<HealthReport> {
    const up = databaseAvailabilityOf(this.source.db)?.up ?? true;
    const outboxDepth = up ? await this.outboxDepth() : null;
    const broker = this.source.brokerUp() ? "up" : "down";
    const database = outboxDepth === null ? "down" : "up";
    const storage = await this.source.storage?.current();
    const ok = broker === "up" && database === "up" && storage?.state !== "full";
    return { status: ok ? "ok" : "degraded", mqtt: { broker, connectedRegisters: this.source.connectedRegisters() }, database, ...(storage !== undefined ? { storage } : {}), outboxDepth };
  }

  /** The same line, timing each request from arrival to its reply. */
  instrumentLine(line: RegisterLine): RegisterLine {
    const disconnect = line.disconnectRegister?.bind(line);
    return {
      onRequest: (listener) =>
        line.onRequest((from, payload) => {
          this.#arrived(payload);
          listener(from, payload);
        }),
      onRegisterOnline: (listener) => line.onRegisterOnline(listener),
      onPresence: (listener) => line.onPresence(listener),
      publishToRegister: (to, message) => {
        this.#answered(message);
        return line.publishToRegister(to, message);
      },
      ...(disconnect !== undefined ? { disconnectRegister: disconnect } : {}),
    };
  }

  #arrived(payload: Buffer): void {
    let request: { requestId?: unknown; type?: unknown };
    try {
      request = JSON.parse(payload.toString("utf8")) as typeof request;
    } catch {
      return; // the router answers MALFORMED_MESSAGE; nothing to time
    }
    if (typeof request.requestId !== "string" || typeof request.type !== "string") return;
    if (request.type === "result.ack") {
      this.#requestCounter("result.ack", "ack").inc();
      return;
    }
    if (this.#pending.size >= pendingRequestsMax) this.#pending.delete(this.#pending.keys().next().value as string);
    this.#pending.set(request.requestId, { type: requestTypeLabel(request.type), startedAt: process.hrtime.bigint() });
  }

  #answered(message: ServerMessage): void {
    const inReplyTo = "inReplyTo" in message ? message.inReplyTo : undefined;
    if (inReplyTo === undefined) return;
    const pending = this.#pending.get(inReplyTo);
    if (pending === undefined) return;
    this.#pending.delete(inReplyTo);
    const outcome = message.type === "error" ? message.error.code : message.type === "payment.state" ? message.state : message.type;
    this.#requestCounter(pending.type, outcome).inc();
    this.#histogram(this.#requestSeconds, `seconds\u0000${pending.type}`, [pending.type]).observe(Number(process.hrtime.bigint() - pending.startedAt) / 1e9);
  }

  observeShopperRequest(route: string, status: number, seconds: number): void {
    this.#histogram(this.#shopperSeconds, `shopper\u0000${route}\u0000${status}`, [route, String(status)]).observe(seconds);
  }

  #requestCounter(type: string, outcome: string): client.Counter.Internal {
    const key = `requests\u0000${type}\u0000${outcome}`;
    let child = this.#children.get(key) as client.Counter.Internal | undefined;
    if (child === undefined) {
      if (this.#children.size >= LABEL_CHILDREN_MAX) this.#children.clear();
      child = this.#requests.labels(type, outcome);
      this.#children.set(key, child);
    }
    return child;
  }

  #histogram<Labels extends string>(histogram: client.Histogram<Labels>, key: string, values: string[]): client.Histogram.Internal<Labels> {
    let child = this.#children.get(key) as client.Histogram.Internal<Labels> | undefined;
    if (child === undefined) {
      if (this.#children.size >= LABEL_CHILDREN_MAX) this.#children.clear();
      child = histogram.labels(...values);
      this.#children.set(key, child as client.Histogram.Internal<string>);
    }
    return child;
  }
}

/** Label children kept (types and outcomes are a short list; a flood of odd types only starts the list over). */
const LABEL_CHILDREN_MAX = 1_000;

const ADMISSION_DECISIONS = {
  admitted_at_once: "admittedAtOnce",
  queued: "queued",
  admitted_from_queue: "admittedFromQueue",
  refused_queue_full: "refusedQueueFull",
  refused_waited_too_long: "refusedWaitedTooLong",
} as const satisfies Record<string, keyof LoginAdmissionStats>;

/** Read from the broker hooks' counts at scrape time: a fixed set of five label values. */
function registerLoginAdmissionMetrics(registers: client.Registry[], stats: () => LoginAdmissionStats): void {
  new client.Counter({ name: "codepay_mqtt_login_admissions_total", help: "MQTT logins by admission decision (refused ones got CONNACK 3, server unavailable)", labelNames: ["decision"], registers, collect() {
    const now = stats();
    this.reset();
    for (const [decision, field] of Object.entries(ADMISSION_DECISIONS)) this.inc({ decision }, now[field]);
  } });
  new client.Gauge({ name: "codepay_mqtt_login_queue_depth", help: "MQTT logins waiting for a login slot", registers, collect() {
    this.set(stats().queueDepth);
  } });
  new client.Counter({ name: "codepay_register_passwords_rehashed_total", help: "Old scrypt register password rows rewritten in the keyed form at a login", registers, collect() {
    this.reset();
    this.inc(stats().rehashed);
  } });
}

/** Issue 24: PostgreSQL's availability, and the disk under SQLite. */
function registerDatabaseFaultMetrics(registers: client.Registry[], db: Db, storage: (() => StorageReport) | undefined): void {
  const availability = databaseAvailabilityOf(db);
  new client.Gauge({ name: "codepay_database_up", help: "1 while the database answers, 0 while PostgreSQL is down and requests are refused with SERVER_UNAVAILABLE", registers, collect() {
    this.set(availability === undefined || availability.up ? 1 : 0);
  } });
  if (availability !== undefined) {
    new client.Counter({ name: "codepay_database_outages_total", help: "PostgreSQL outages seen since start", registers, collect() {
      this.reset();
      this.inc(availability.outages);
    } });
  }
  const stats = groupCommitStatsOf(db);
  if (storage === undefined || stats === undefined) return;
  new client.Gauge({ name: "codepay_storage_state", help: "SQLite: the disk under the database now (1 for its state: ok, low = below the free-space warning, full = writes refused with STORAGE_FULL)", labelNames: ["state"], registers, collect() {
    const now = storage().state;
    for (const state of STORAGE_STATES) this.set({ state }, state === now ? 1 : 0);
  } });
  new client.Gauge({ name: "codepay_storage_free_bytes", help: "SQLite: free bytes on the data directory's filesystem at the last look (-1 unknown)", registers, collect() {
    this.set(storage().freeBytes ?? -1);
  } });
  new client.Counter({ name: "codepay_storage_full_errors_total", help: "SQLite: statements and commits refused with SQLITE_FULL since start", registers, collect() {
    this.reset();
    this.inc(stats.storageFullErrors);
  } });
  new client.Gauge({ name: "codepay_sqlite_wal_truncations", help: "SQLite: TRUNCATE checkpoints that cut a WAL larger than its bound", registers, collect() {
    this.set(stats.walTruncations);
  } });
  new client.Gauge({ name: "codepay_sqlite_checkpoint_restarts", help: "SQLite: background checkpoints started again after a failure", registers, collect() {
    this.set(stats.checkpointRestarts);
  } });
}

/** Times every shopper-API request (codepay_shopper_request_seconds, by route and status). */
export function timeShopperRequests(app: ShopperApp, metrics: ServerMetrics): void {
  app.addHook("onResponse", async (request, reply) => {
    metrics.observeShopperRequest(request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
  });
}

/** `GET /health` (200 ok, 503 degraded) and `GET /metrics` (Prometheus text) on the operator listener. */
export function registerObservabilityRoutes(app: OperatorApp, metrics: ServerMetrics): void {
  app.get("/health", async (_request, reply) => {
    const report = await metrics.health();
    return reply.code(report.status === "ok" ? 200 : 503).send(report);
  });
  app.get("/metrics", async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
}
