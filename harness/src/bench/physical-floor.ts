/**
 * The physical floor of one payment hop, measured in the same run as the payments:
 *   - a raw aedes QoS 1 request/response round trip between two mqtt.js clients (broker in its own process),
 *   - one durable SQLite commit (WAL, synchronous=FULL) of a small row.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import mqtt, { type MqttClient } from "mqtt";
import { LatencySamples } from "./latency-stats.js";

export interface FloorFigures {
  readonly mqttRttP50Ms: number;
  readonly mqttRttP99Ms: number;
  readonly commitMs: number;
  readonly commitP99Ms: number;
}

function setNoDelay(client: MqttClient): void {
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
}

async function connected(url: string, clientId: string): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId, protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  setNoDelay(client);
  return client;
}

export async function measureMqttRoundTrip(roundTrips: number): Promise<LatencySamples> {
  const brokerScript = fileURLToPath(new URL("./raw-broker.js", import.meta.url));
  const broker = spawn(process.execPath, [brokerScript], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: broker.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
      broker.once("exit", (code) => reject(new Error(`raw broker exited (${code})`)));
    });
    const url = `mqtt://127.0.0.1:${port}`;
    const requester = await connected(url, "floor-requester");
    const responder = await connected(url, "floor-responder");
    await responder.subscribeAsync("floor/req", { qos: 1 });
    await requester.subscribeAsync("floor/res", { qos: 1 });
    responder.on("message", (_topic, payload) => responder.publish("floor/res", payload, { qos: 1 }));
    const samples = new LatencySamples();
    let pending: ((id: string) => void) | undefined;
    requester.on("message", (_topic, payload) => pending?.(payload.toString()));
    for (let index = 0; index < roundTrips; index += 1) {
      const id = String(index);
      const started = performance.now();
      await new Promise<void>((resolve) => {
        pending = (answered) => {
          if (answered === id) resolve();
        };
        requester.publish("floor/req", id, { qos: 1 });
      });
      if (index >= roundTrips / 10) samples.add(performance.now() - started); // the first tenth warms up
    }
    await requester.endAsync();
    await responder.endAsync();
    return samples;
  } finally {
    broker.kill("SIGTERM");
  }
}

export async function measureDurableCommit(commits: number): Promise<LatencySamples> {
  const directory = await mkdtemp(join(tmpdir(), "codepay-floor-"));
  const db = new Database(join(directory, "floor.sqlite"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
    const insert = db.prepare("INSERT INTO t (payload) VALUES (?)");
    const samples = new LatencySamples();
    for (let index = 0; index < commits; index += 1) {
      const started = performance.now();
      insert.run(`payment-${index}`); // one statement outside a transaction = one durable commit
      samples.add(performance.now() - started);
    }
    return samples;
  } finally {
    db.close();
    await rm(directory, { recursive: true, force: true });
  }
}

export async function measureFloor(): Promise<FloorFigures> {
  const rtt = await measureMqttRoundTrip(2_000);
  const commits = await measureDurableCommit(1_000);
  return {
    mqttRttP50Ms: rtt.percentile(50),
    mqttRttP99Ms: rtt.percentile(99),
    commitMs: commits.percentile(50),
    commitP99Ms: commits.percentile(99),
  };
}
