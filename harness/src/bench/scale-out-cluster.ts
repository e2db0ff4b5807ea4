/**
 * `npm run bench -- --instances N`: the deployment issue 9 describes, on this machine. A throwaway
 * PostgreSQL (fsync on: real commits), Debian's mosquitto configured by `admin broker files`, and N
 * `codepay-server serve` processes with their own service accounts; registers connect to mosquitto,
 * phones spread over the N carrier gateways. The seed runs against the same PostgreSQL first.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "@codepay/sync-server/parts";
import { writeBrokerFiles } from "@codepay/sync-server";
import { LatencySamples } from "./latency-stats.js";
import { startMosquitto, type MosquittoProcess } from "../cluster/mosquitto-process.js";
import { freeLoopbackPort } from "../cluster/loopback-port.js";
import { startServerInstance, type ServerInstance } from "../cluster/server-instance.js";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../cluster/throwaway-postgres.js";
import { startClusterDeployment } from "../cluster/cluster-deployment.js";
import { warmUpRegisterAccounts } from "../cluster/warm-up-accounts.js";
import { registerCertificateMaker } from "./bench-certificates.js";

/** `--broker`: Debian's mosquitto (one process), or a 3-node nats-server cluster (issue 22). */
export type ScaleOutBroker = "mosquitto" | "cluster";
/** Nodes of the bench's broker cluster: the smallest that survives the loss of one (JetStream R3). */
export const BENCH_CLUSTER_NODES = 3;

/** CPU time (user + system) used so far, ms, by role. */
export interface CpuMs {
  readonly servers: number;
  readonly broker: number;
  readonly database: number;
  /** A broker cluster: each node's CPU (broker is their sum). */
  readonly brokerNodes?: readonly number[];
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** utime + stime of a process from /proc/<pid>/stat, ms; 0 when it is gone (or not Linux). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** The postmaster and every backend it forked (their CPU is the database's). */
function postgresPids(postmasterPid: number): number[] {
  const pids = [postmasterPid];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === postmasterPid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export interface ScaleOutCluster {
  /** CPU used so far by the server processes, mosquitto and PostgreSQL (Linux /proc). */
  cpuMs(): CpuMs;
  readonly mqtt: string;
  /** Cluster: every node's MQTT url, and each register's certificate (its only credential there). */
  readonly mqttUrls?: readonly string[];
  registerTls?(registerId: string): { ca: string; cert: string; key: string };
  /** Broker processes whose CPU `broker` sums (1 for mosquitto, the nodes of a cluster). */
  readonly brokerProcesses: number;
  readonly gateways: readonly string[];
  /** Each instance's operator listener (GET /metrics, /health). */
  readonly operators: readonly string[];
  /** SIGTERM every instance and wait (the ledger check runs after). */
  stopInstances(): Promise<void>;
  /** Stops mosquitto and PostgreSQL. */
  stop(): Promise<void>;
}

/** PostgreSQL up and DATABASE_URL set for this process, so the seed (admin functions) writes there. */
export async function startScaleOutDatabase(): Promise<ThrowawayPostgres> {
  const pg = await startThrowawayPostgres({ fsync: true });
  process.env["DATABASE_URL"] = pg.url;
  return pg;
}

export async function startScaleOutCluster(dataDir: string, pg: ThrowawayPostgres, instances: number, broker: ScaleOutBroker = "mosquitto", brokerAccounts = 1, brokerNodes = BENCH_CLUSTER_NODES): Promise<ScaleOutCluster> {
  return broker === "cluster" ? startBrokerClusterDeployment(dataDir, pg, instances, brokerAccounts, brokerNodes) : startMosquittoDeployment(dataDir, pg, instances);
}

const sumCpuMs = (pids: readonly (number | undefined)[]): number => pids.reduce<number>((total, pid) => total + processCpuMs(pid), 0);

function serverNodeArgs(): string[] {
  // CODEPAY_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server processes.
  return (process.env["CODEPAY_BENCH_SERVER_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== "");
}

/** 3 nats-server nodes (admin broker files --broker nats, certificates from admin tls) and N instances on the cluster line. */
async function startBrokerClusterDeployment(dataDir: string, pg: ThrowawayPostgres, instances: number, accounts: number, nodes: number): Promise<ScaleOutCluster> {
  const deployment = await startClusterDeployment({ dataDir, dir: dataDir, nodes, instances, accounts });
  const { cluster } = deployment;
  let servers: ServerInstance[] = [];
  try {
    servers = await Promise.all(
      deployment.services.map((service) =>
        startServerInstance({ dataDir, databaseUrl: pg.url, brokerUsername: service.name, cluster: { natsUrls: cluster.natsUrls, mqttUrls: cluster.mqttUrls, accounts: deployment.accounts, ...service.certificate }, nodeArgs: serverNodeArgs(), httpRateLimits: false }),
      ),
    );
  } catch (error) {
    await Promise.all(servers.map((server) => server.kill("SIGKILL")));
    await deployment.stop();
    throw error;
  }
  // Register certificates signed in-process (bench-certificates.ts): one openssl run each would dominate the set-up.
  const maker = registerCertificateMaker(join(dataDir, "tls"));
  const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
  const registerTls = (registerId: string) => ({ ca, cert: maker.certificateFor(registerId), key: maker.keyPem });
  await warmUpRegisterAccounts({ dataDir, mqttUrl: cluster.mqttUrls[0]!, accounts: deployment.accounts, tls: registerTls });
  return {
    cpuMs: () => ({
      servers: sumCpuMs(servers.map((server) => server.child.pid)),
      broker: sumCpuMs(cluster.nodes.map((node) => node.pid)),
      brokerNodes: cluster.nodes.map((node) => processCpuMs(node.pid)),
      database: pg.postmasterPid === undefined ? 0 : sumCpuMs(postgresPids(pg.postmasterPid)),
    }),
    mqtt: cluster.mqttUrls[0]!,
    mqttUrls: cluster.mqttUrls,
    registerTls,
    brokerProcesses: cluster.nodes.length,
    gateways: servers.map((server) => server.gateway),
    operators: servers.map((server) => server.operator),
    async stopInstances() {
      await Promise.all(servers.map((server) => server.kill("SIGTERM")));
    },
    async stop() {
      await Promise.all(servers.map((server) => server.kill("SIGKILL")));
      await deployment.stop();
    },
  };
}

async function startMosquittoDeployment(dataDir: string, pg: ThrowawayPostgres, instances: number): Promise<ScaleOutCluster> {
  const port = await freeLoopbackPort();
  const files = await writeBrokerFiles({ dataDir, out: join(dataDir, "broker"), instances, port, host: "127.0.0.1" });
  let broker: MosquittoProcess | undefined;
  let servers: ServerInstance[] = [];
  try {
    broker = await startMosquitto(files.configFile, port, dataDir);
    const brokerUrl = broker.url;
    const nodeArgs = serverNodeArgs();
    servers = await Promise.all(
      files.services.map((service) =>
        startServerInstance({ dataDir, databaseUrl: pg.url, brokerUrl, brokerUsername: service.username, brokerPasswordFile: service.passwordFile, nodeArgs, httpRateLimits: false }),
      ),
    );
  } catch (error) {
    await Promise.all(servers.map((server) => server.kill("SIGKILL")));
    await broker?.stop();
    throw error;
  }
  const running = broker;
  return {
    cpuMs: () => ({
      servers: sumCpuMs(servers.map((server) => server.child.pid)),
      broker: sumCpuMs([running.child.pid]),
      database: pg.postmasterPid === undefined ? 0 : sumCpuMs(postgresPids(pg.postmasterPid)),
    }),
    mqtt: running.url,
    brokerProcesses: 1,
    gateways: servers.map((server) => server.gateway),
    operators: servers.map((server) => server.operator),
    async stopInstances() {
      await Promise.all(servers.map((server) => server.kill("SIGTERM")));
    },
    async stop() {
      await Promise.all(servers.map((server) => server.kill("SIGKILL")));
      await running.stop();
    },
  };
}

/**
 * The database floor in scale-out mode: one single-row INSERT per commit (fsync on), one client,
 * `count` times, through the server's own Kysely connection code. Rows go to assertion_nonces with
 * an expiry in the past, so the next sweep prunes them.
 */
export async function measurePostgresCommit(dataDir: string, url: string, count = 200): Promise<{ p50Ms: number; p99Ms: number }> {
  const db = await openDatabase(dataDir, url);
  const samples = new LatencySamples();
  try {
    for (let index = 0; index < count; index += 1) {
      const started = performance.now();
      await db.insertInto("assertion_nonces").values({ nonce: `bench-floor:${process.pid}-${index}`, expires_at: 0 }).execute();
      samples.add(performance.now() - started);
    }
  } finally {
    await db.destroy();
  }
  return { p50Ms: samples.percentile(50), p99Ms: samples.percentile(99) };
}
