/**
 * A throwaway nats-server cluster on loopback (Debian's nats-server 2.9): N nodes, each run from the
 * node config and the authorization file the server's own renderers write (the ones
 * docs/deploy/broker-cluster.md shows), with TLS certificates from `admin tls`. Nodes can be
 * SIGKILLed and started again on the same JetStream directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findTool } from "@codepay/hardware-sim";
import { renderNatsNodeConfig, type ClusterNode } from "@codepay/sync-server/parts";
import { freeLoopbackPorts, waitForLoopbackPort } from "./loopback-port.js";

/** How long a starting cluster may take to elect its JetStream meta leader. */
const CLUSTER_HEALTHY_WAIT_MS = 90_000;
/** Starts with fresh ports when a node lost a port to another process between probe and listen. */
const PORT_RACE_ATTEMPTS = 3;

export interface NatsNode {
  readonly node: ClusterNode;
  readonly natsUrl: string;
  readonly mqttUrl: string;
  readonly configFile: string;
  readonly child: ChildProcess;
  /** What the node wrote to stderr since it last started. */
  log(): string;
  /** Process id of the node now (changes on restart). */
  readonly pid: number | undefined;
  running(): boolean;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same config and store directory. */
  restart(): Promise<void>;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  readonly natsUrls: readonly string[];
  readonly mqttUrls: readonly string[];
  /** SIGHUP to every running node: they re-read the authorization file. */
  reload(): void;
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  readonly dir: string;
  readonly nodes: number;
  /** The file `admin broker files --broker nats` wrote. */
  readonly authorizationFile: string;
  /** PEM files: CA, the nodes' certificate and key (`admin tls issue-server --host 127.0.0.1`). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

async function healthy(node: ClusterNode): Promise<boolean> {
  try {
    const response = await fetch(`http://${node.host}:${node.monitorPort}/healthz`);
    return response.ok;
  } catch {
    return false;
  }
}

function startNode(binary: string, configFile: string): { child: ChildProcess; log: () => string; exited: Promise<void> } {
  const child = spawn(binary, ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, log: () => log, exited };
}

class PortTaken extends Error {}

function nodeName(index: number): string {
  return `codepay-node-${index + 1}`;
}

export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsCluster> {
  const binary = findTool("nats-server");
  if (binary === undefined) throw new Error("nats-server not installed (scripts/install-system-packages.sh)");
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnFreshPorts(binary, options);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= PORT_RACE_ATTEMPTS) throw error;
      // The failed start's JetStream directories name the old ports' peers: start clean.
      for (let index = 0; index < options.nodes; index += 1) rmSync(join(options.dir, nodeName(index)), { recursive: true, force: true });
    }
  }
}

async function startOnFreshPorts(binary: string, options: NatsClusterOptions): Promise<NatsCluster> {
  const ports = await freeLoopbackPorts(options.nodes * 4);
  const nodes: ClusterNode[] = [];
  for (let index = 0; index < options.nodes; index += 1) {
    const [clientPort, routePort, mqttPort, monitorPort] = ports.slice(index * 4, index * 4 + 4) as [number, number, number, number];
    nodes.push({ name: nodeName(index), host: "127.0.0.1", clientPort, routePort, mqttPort, monitorPort });
  }
  const running: NatsNode[] = nodes.map((node) => {
    const storeDir = join(options.dir, node.name, "jetstream");
    mkdirSync(storeDir, { recursive: true });
    const configFile = join(options.dir, node.name, "nats.conf");
    writeFileSync(configFile, renderNatsNodeConfig(node, nodes, { storeDir, configFile, authorizationFile: options.authorizationFile, caFile: options.caFile, certFile: options.certFile, keyFile: options.keyFile }));
    let started = startNode(binary, configFile);
    const natsNode: NatsNode = {
      node,
      natsUrl: `nats://${node.host}:${node.clientPort}`,
      mqttUrl: `mqtts://${node.host}:${node.mqttPort}`,
      configFile,
      get child() {
        return started.child;
      },
      log: () => started.log(),
      get pid() {
        return started.child.pid;
      },
      running: () => started.child.exitCode === null && started.child.signalCode === null,
      async kill(signal) {
        if (natsNode.running()) started.child.kill(signal);
        await started.exited;
      },
      async restart() {
        if (natsNode.running()) throw new Error(`${node.name} is still running`);
        started = startNode(binary, configFile);
        await waitForLoopbackPort(node.mqttPort);
      },
    };
    return natsNode;
  });
  try {
    await Promise.all(running.map((natsNode) => waitForLoopbackPort(natsNode.node.mqttPort).catch((error: unknown) => Promise.reject(new Error(`${natsNode.node.name}: ${(error as Error).message}: ${natsNode.log().slice(-2_000)}`)))));
    // JetStream has a meta leader and every node is current with it (MQTT needs JetStream). On a busy
    // machine the first meta-leader election can take tens of seconds (seen: over 30 s while other
    // suites ran), so the wait is a deadline, not a count of tries.
    const deadline = Date.now() + CLUSTER_HEALTHY_WAIT_MS;
    while (!(await Promise.all(nodes.map(healthy))).every(Boolean)) {
      if (Date.now() > deadline) throw new Error(`the cluster never became healthy in ${CLUSTER_HEALTHY_WAIT_MS / 1_000} s: ${running.map((n) => n.log().slice(-1_000)).join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await Promise.all(running.map((natsNode) => natsNode.kill("SIGKILL")));
    if (running.some((natsNode) => natsNode.log().includes("address already in use"))) throw new PortTaken((error as Error).message);
    throw error;
  }
  return {
    nodes: running,
    natsUrls: running.map((natsNode) => natsNode.natsUrl),
    mqttUrls: running.map((natsNode) => natsNode.mqttUrl),
    reload() {
      for (const natsNode of running) if (natsNode.running()) natsNode.child.kill("SIGHUP");
    },
    async stop() {
      await Promise.all(running.map((natsNode) => natsNode.kill("SIGTERM")));
    },
  };
}
