/**
 * One `codepay-server serve` process of a scale-out deployment: the built CLI, its own HTTP ports,
 * the shared PostgreSQL (DATABASE_URL) and the shared broker with its own service account.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repositoryRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
export const serverBin = join(repositoryRoot, "sync-server/bin/codepay-server.js");

export interface ServerInstanceOptions {
  readonly dataDir: string;
  readonly databaseUrl: string;
  /** mosquitto: its url and the service account's password file (or `cluster` instead). */
  readonly brokerUrl?: string;
  readonly brokerUsername: string;
  readonly brokerPasswordFile?: string;
  /** A nats-server cluster: the nodes and this instance's certificate (CN = brokerUsername). */
  readonly cluster?: { readonly natsUrls: readonly string[]; readonly mqttUrls: readonly string[]; readonly accounts?: number; readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  readonly logLevel?: string;
  /** Extra node arguments (profiling). */
  readonly nodeArgs?: readonly string[];
  /** false: `--no-http-rate-limits` (simulated phones pay far faster than shoppers). Default true. */
  readonly httpRateLimits?: boolean;
  /** More `serve` flags (e.g. --broker-files DIR --broker-reload-pid-file F). */
  readonly serveArgs?: readonly string[];
}

export interface ServerInstance {
  readonly name: string;
  readonly child: ChildProcess;
  readonly shopperApi: string;
  readonly gateway: string;
  /** The operator listener: GET /metrics, /health (read with the helpers of @codepay/sync-server's operator client). */
  readonly operator: string;
  /** The process's stderr so far (pino JSON lines). */
  log(): string;
  /** Resolves with the exit signal or code. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  kill(signal: NodeJS.Signals): Promise<NodeJS.Signals | number | null>;
}

function brokerArgs(options: ServerInstanceOptions): string[] {
  const cluster = options.cluster;
  if (cluster !== undefined) {
    return [
      "--broker-cluster-nats", cluster.natsUrls.join(","),
      "--broker-cluster-mqtt", cluster.mqttUrls.join(","),
      "--broker-cluster-accounts", String(cluster.accounts ?? 1),
      "--broker-username", options.brokerUsername,
      "--broker-ca", cluster.caFile,
      "--broker-cert", cluster.certFile,
      "--broker-key", cluster.keyFile,
    ];
  }
  if (options.brokerUrl === undefined || options.brokerPasswordFile === undefined) throw new Error("a server instance needs brokerUrl and brokerPasswordFile, or cluster");
  return ["--broker-url", options.brokerUrl, "--broker-username", options.brokerUsername, "--broker-password-file", options.brokerPasswordFile];
}

export async function startServerInstance(options: ServerInstanceOptions): Promise<ServerInstance> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      serverBin,
      "serve",
      "--data-dir", options.dataDir,
      "--http-port", "0",
      "--gateway-port", "0",
      "--operator-port", "0",
      ...brokerArgs(options),
      ...(options.httpRateLimits === false ? ["--no-http-rate-limits"] : []),
      ...(options.serveArgs ?? []),
    ],
    { env: { ...process.env, DATABASE_URL: options.databaseUrl, CODEPAY_LOG_LEVEL: options.logLevel ?? "warn" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-200_000);
  });
  const exited = new Promise<NodeJS.Signals | number | null>((done) => child.once("exit", (code, signal) => done(signal ?? code)));
  const listening = await new Promise<{ shopperApi: string; gateway: string; operator: string }>((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"listening"')) resolvePromise(JSON.parse(line) as { shopperApi: string; gateway: string; operator: string });
    });
    void exited.then((how) => reject(new Error(`${options.brokerUsername} exited (${String(how)}) before listening: ${log.slice(-2_000)}`)));
  });
  return {
    name: options.brokerUsername,
    child,
    shopperApi: listening.shopperApi,
    gateway: listening.gateway,
    operator: listening.operator,
    log: () => log,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
