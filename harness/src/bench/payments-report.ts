/**
 * The payments bench's figures, as one JSON line (`--json`) or a table. Every per-payment figure is over
 * the measured window (payments-drive.ts). Keys are never renamed; new ones are added.
 */
import { cpus } from "node:os";
import { round } from "./latency-stats.js";
import type { LeanFloorRun } from "./lean-floor.js";
import type { RunFigures } from "./payments-drive.js";
import type { FloorFigures } from "./physical-floor.js";

export interface ReportContext {
  readonly registers: number;
  readonly stores: number;
  readonly phones: number;
  readonly durationS: number;
  readonly ratePerS: number | undefined;
  readonly instances: number | undefined;
  /** Scale-out: mosquitto, or a nats-server cluster of `brokerProcesses` nodes. */
  readonly broker?: "mosquitto" | "cluster";
  readonly brokerProcesses?: number;
  readonly pin: boolean;
  readonly generator: "lean" | "sim";
  readonly json: boolean;
  readonly ledger: { ok: boolean; detail: string };
  /** The machine's 1-minute load average before the run and at its end. */
  readonly loadBefore1m: number;
  readonly loadAfter1m: number;
  /** Scale-out: one PostgreSQL commit, p50 / p99 ms. */
  readonly postgresCommit?: { p50Ms: number; p99Ms: number };
  /** --floor: the lean reference server, run right after in the same minutes. */
  readonly leanFloor?: LeanFloorRun;
  /** --features-floor: the floor's design carrying Code Pay's guarantees, run after it in the same minutes. */
  readonly featuresFloor?: LeanFloorRun;
}

const orNull = (value: number | undefined, digits = 2): number | null => (value === undefined || Number.isNaN(value) ? null : round(value, digits));

export function reportFigures(context: ReportContext, figures: RunFigures, floor: FloorFigures): Record<string, unknown> {
  const lean = context.leanFloor?.ran === true ? context.leanFloor.figures : undefined;
  const features = context.featuresFloor?.ran === true ? context.featuresFloor.figures : undefined;
  const paymentsPerS = figures.windowPayments / figures.measuredS;
  const serverCpu = figures.serverCpuMsPerPayment;
  const serverSideCpu = serverCpu.servers + serverCpu.broker + serverCpu.database;
  return {
    payments_per_s: round(paymentsPerS, 1),
    server_cpu_ms_per_payment: round(serverSideCpu, 3),
    statements_per_payment: orNull(figures.statementsPerPayment, 1),
    write_transactions_per_payment: orNull(figures.writeTransactionsPerPayment, 2),
    load_generator_cpu_ms_per_payment: round(figures.generatorCpuMsPerPayment, 3),
    load_generator_user_ms_per_payment: round(figures.generatorUserMsPerPayment, 3),
    load_generator_system_ms_per_payment: round(figures.generatorSystemMsPerPayment, 3),
    lean_floor_payments_per_s: lean?.paymentsPerS ?? null,
    lean_floor_server_cpu_ms_per_payment: lean?.serverCpuMsPerPayment ?? null,
    lean_floor_client_cpu_ms_per_payment: lean?.clientCpuMsPerPayment ?? null,
    server_cpu_ratio_to_lean_floor: lean === undefined ? null : round(serverSideCpu / lean.serverCpuMsPerPayment, 2),
    payments_per_s_ratio_to_lean_floor: lean === undefined ? null : round(paymentsPerS / lean.paymentsPerS, 2),
    load_generator_cpu_ratio_to_lean_client: lean === undefined ? null : round(figures.generatorCpuMsPerPayment / lean.clientCpuMsPerPayment, 2),
    lean_floor_approve_to_result_p50_ms: lean?.approveToResultP50Ms ?? null,
    lean_floor_approve_to_result_p99_ms: lean?.approveToResultP99Ms ?? null,
    lean_floor_skipped: context.leanFloor?.ran === false ? context.leanFloor.reason : null,
    features_floor_payments_per_s: features?.paymentsPerS ?? null,
    features_floor_server_cpu_ms_per_payment: features?.serverCpuMsPerPayment ?? null,
    server_cpu_ratio_to_features_floor: features === undefined ? null : round(serverSideCpu / features.serverCpuMsPerPayment, 2),
    payments_per_s_ratio_to_features_floor: features === undefined ? null : round(paymentsPerS / features.paymentsPerS, 2),
    features_floor_approve_to_result_p50_ms: features?.approveToResultP50Ms ?? null,
    features_floor_approve_to_result_p99_ms: features?.approveToResultP99Ms ?? null,
    features_floor_skipped: context.featuresFloor?.ran === false ? context.featuresFloor.reason : null,
    request_to_code_p50_ms: round(figures.requestToCode.percentile(50)),
    request_to_code_p99_ms: round(figures.requestToCode.percentile(99)),
    approve_to_result_p50_ms: round(figures.approveToResult.percentile(50)),
    approve_to_result_p99_ms: round(figures.approveToResult.percentile(99)),
    approve_reply_p50_ms: round(figures.approveReply.percentile(50)),
    approve_reply_p99_ms: round(figures.approveReply.percentile(99)),
    server_loop_delay_p50_ms: orNull(figures.serverLoopDelay?.p50Ms),
    server_loop_delay_p99_ms: orNull(figures.serverLoopDelay?.p99Ms),
    server_loop_delay_max_ms: orNull(figures.serverLoopDelay?.maxMs),
    wal_fsync_p50_ms_at_most: figures.walFsyncP50Ms ?? null,
    wal_fsync_p99_ms_at_most: figures.walFsyncP99Ms ?? null,
    generator_loop_delay_p50_ms: round(figures.generatorLoopDelay.p50Ms),
    generator_loop_delay_p99_ms: round(figures.generatorLoopDelay.p99Ms),
    generator_loop_delay_max_ms: round(figures.generatorLoopDelay.maxMs),
    mqtt_rtt_p50_ms: round(floor.mqttRttP50Ms, 3),
    mqtt_rtt_p99_ms: round(floor.mqttRttP99Ms, 3),
    commit_ms: round(floor.commitMs, 3),
    commit_p99_ms: round(floor.commitP99Ms, 3),
    approve_to_result_p99_target_ms: round(3 * (floor.mqttRttP99Ms + floor.commitP99Ms), 2),
    registers: context.registers,
    stores: context.stores,
    phones: context.phones,
    duration_s: context.durationS,
    measured_s: round(figures.measuredS, 2),
    rate_target_per_s: context.ratePerS ?? null,
    completed: figures.completed,
    window_payments: figures.windowPayments,
    failed: figures.failed,
    first_error: figures.firstError ?? null,
    ledger_ok: context.ledger.ok,
    deployment: context.instances === undefined
      ? `1 process, SQLite + embedded aedes${context.pin ? "; server pinned to CPU 0, load generator to the others" : ""}`
      : `${context.instances} instances, PostgreSQL + ${context.broker === "cluster" ? `a ${context.brokerProcesses ?? "?"}-node nats-server cluster` : "mosquitto"}`,
    broker: context.instances === undefined ? "embedded aedes" : (context.broker ?? "mosquitto"),
    broker_processes: context.instances === undefined ? 0 : (context.brokerProcesses ?? 1),
    pinned: context.pin,
    load_generator: context.generator,
    instances: context.instances ?? 1,
    cpus: cpus().length,
    load_avg_1m_before: round(context.loadBefore1m, 2),
    load_avg_1m_after: round(context.loadAfter1m, 2),
    postgres_commit_p50_ms: orNull(context.postgresCommit?.p50Ms, 3),
    postgres_commit_p99_ms: orNull(context.postgresCommit?.p99Ms, 3),
    // The first keys of this bench, kept: the same figures by role.
    cpu_ms_per_payment_servers: round(serverCpu.servers),
    cpu_ms_per_payment_broker: round(serverCpu.broker),
    cpu_ms_per_payment_broker_nodes: serverCpu.brokerNodes === undefined ? null : serverCpu.brokerNodes.map((ms) => round(ms)),
    cpu_ms_per_payment_database: round(serverCpu.database),
    cpu_ms_per_payment_load_generator: round(figures.generatorCpuMsPerPayment),
    postgres_transactions_per_payment: orNull(figures.postgresPerPayment?.commits, 1),
    postgres_wal_bytes_per_payment: figures.postgresPerPayment === undefined ? null : Math.round(figures.postgresPerPayment.walBytes),
    postgres_lock_wait_share: figures.postgresLockWaits === undefined ? null : round(figures.postgresLockWaits.share, 4),
    postgres_active_backends_sampled: figures.postgresLockWaits?.active ?? null,
    postgres_lock_samples: figures.postgresLockWaits?.samples ?? null,
    postgres_most_waited_in: figures.postgresLockWaits?.mostWaitedIn ?? null,
    sqlite_fsyncs_per_payment: orNull(figures.sqliteFsyncsPerPayment),
  };
}

/** Prints the figures: one JSON line, or a table of the ones people read. */
export function printReport(context: ReportContext, figures: RunFigures, floor: FloorFigures): void {
  const r = reportFigures(context, figures, floor);
  if (context.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const v = (key: string): string => (r[key] === null || r[key] === undefined ? "-" : String(r[key]));
  const rows: [string, string][] = [
    ["completed payments / s (results inside the window)", v("payments_per_s")],
    [context.instances === undefined ? "server CPU ms per payment (broker, SQLite inside)" : "server side CPU ms per payment (servers + broker + PostgreSQL)", v("server_cpu_ms_per_payment")],
    ...(context.instances === undefined ? [] : [[`  servers / ${context.broker === "cluster" ? `broker (${v("broker_processes")} nodes summed)` : "mosquitto"} / PostgreSQL`, `${v("cpu_ms_per_payment_servers")} / ${v("cpu_ms_per_payment_broker")} / ${v("cpu_ms_per_payment_database")}`] as [string, string]]),
    ...(context.broker === "cluster" && context.instances !== undefined ? [["  broker CPU ms per payment, node by node", v("cpu_ms_per_payment_broker_nodes")] as [string, string]] : []),
    ["SQL statements / write transactions per payment", `${v("statements_per_payment")} / ${v("write_transactions_per_payment")}`],
    [`load generator (${context.generator}) CPU ms per payment (user + system)`, `${v("load_generator_cpu_ms_per_payment")} (${v("load_generator_user_ms_per_payment")} + ${v("load_generator_system_ms_per_payment")})`],
    ...leanFloorRows(context, v),
    ...featuresFloorRows(context, v),
    ["request -> code at register p50 / p99", `${v("request_to_code_p50_ms")} / ${v("request_to_code_p99_ms")} ms`],
    ["approve -> result at register p50 / p99", `${v("approve_to_result_p50_ms")} / ${v("approve_to_result_p99_ms")} ms`],
    ["  p99 bound at half the peak: 3 x (aedes RTT p99 + FULL commit p99)", `${v("approve_to_result_p99_target_ms")} ms`],
    ["  of which approve -> phone's HTTP reply p50 / p99", `${v("approve_reply_p50_ms")} / ${v("approve_reply_p99_ms")} ms`],
    ["event-loop delay past its 10 ms tick, server p50 / p99 / max", `${v("server_loop_delay_p50_ms")} / ${v("server_loop_delay_p99_ms")} / ${v("server_loop_delay_max_ms")} ms`],
    ["server's WAL fdatasync p50 / p99 (at most: histogram bucket)", `${v("wal_fsync_p50_ms_at_most")} / ${v("wal_fsync_p99_ms_at_most")} ms`],
    ["SQLite WAL fsyncs per payment (group commit)", v("sqlite_fsyncs_per_payment")],
    ["event-loop delay past its 10 ms tick, load generator p50 / p99 / max", `${v("generator_loop_delay_p50_ms")} / ${v("generator_loop_delay_p99_ms")} / ${v("generator_loop_delay_max_ms")} ms`],
    ["floor: raw aedes QoS 1 round trip p50 / p99", `${v("mqtt_rtt_p50_ms")} / ${v("mqtt_rtt_p99_ms")} ms`],
    ["floor: one SQLite FULL commit p50 / p99", `${v("commit_ms")} / ${v("commit_p99_ms")} ms`],
    ...(context.postgresCommit === undefined ? [] : [["floor: one PostgreSQL commit (fsync on) p50 / p99", `${v("postgres_commit_p50_ms")} / ${v("postgres_commit_p99_ms")} ms`] as [string, string]]),
    ...(figures.postgresPerPayment === undefined ? [] : [["PostgreSQL per payment: transactions (all) / WAL bytes", `${v("postgres_transactions_per_payment")} / ${v("postgres_wal_bytes_per_payment")}`] as [string, string]]),
    ...(figures.postgresLockWaits === undefined
      ? []
      : [["PostgreSQL active backends waiting on a lock (sampled) / most waited in", `${v("postgres_lock_wait_share")} of ${v("postgres_active_backends_sampled")} in ${v("postgres_lock_samples")} samples / ${v("postgres_most_waited_in")}`] as [string, string]]),
    ["registers / stores / phones / measured", `${context.registers} / ${context.stores} / ${context.phones} / ${v("measured_s")} s`],
    ["completed / failed", `${figures.completed} / ${figures.failed}${figures.firstError ? ` (first: ${figures.firstError})` : ""}`],
    ["ledger", context.ledger.detail],
    ["deployment", v("deployment")],
    ["machine: cpus / load avg 1 min before / after", `${v("cpus")} / ${v("load_avg_1m_before")} / ${v("load_avg_1m_after")}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
}

function featuresFloorRows(context: ReportContext, v: (key: string) => string): [string, string][] {
  if (context.featuresFloor === undefined) return [];
  if (!context.featuresFloor.ran) return [["features floor", `skipped: ${context.featuresFloor.reason}`]];
  return [
    ["floor design + Code Pay's guarantees (same minutes): payments / s, server CPU ms per payment", `${v("features_floor_payments_per_s")}, ${v("features_floor_server_cpu_ms_per_payment")}`],
    ["  its approve -> result p50 / p99", `${v("features_floor_approve_to_result_p50_ms")} / ${v("features_floor_approve_to_result_p99_ms")} ms`],
    ["ratio to it: server CPU per payment / payments per s", `${v("server_cpu_ratio_to_features_floor")} / ${v("payments_per_s_ratio_to_features_floor")}`],
  ];
}

function leanFloorRows(context: ReportContext, v: (key: string) => string): [string, string][] {
  if (context.leanFloor === undefined) return [];
  if (!context.leanFloor.ran) return [["lean floor", `skipped: ${context.leanFloor.reason}`]];
  return [
    ["lean floor (same minutes): payments / s, server / client CPU ms per payment", `${v("lean_floor_payments_per_s")}, ${v("lean_floor_server_cpu_ms_per_payment")} / ${v("lean_floor_client_cpu_ms_per_payment")}`],
    ["  its approve -> result p50 / p99", `${v("lean_floor_approve_to_result_p50_ms")} / ${v("lean_floor_approve_to_result_p99_ms")} ms`],
    ["ratio to the lean floor: server CPU per payment / payments per s / load generator CPU per payment", `${v("server_cpu_ratio_to_lean_floor")} / ${v("payments_per_s_ratio_to_lean_floor")} / ${v("load_generator_cpu_ratio_to_lean_client")}`],
  ];
}
