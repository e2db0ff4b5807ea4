/**
 * Per-register isolation, proven with MQTT clients nobody here wrote: Debian's mosquitto_sub and
 * mosquitto_pub, logged in as register A, try to reach register B. Every attempt fails and B, a real
 * mqtt.js client that stays connected throughout, sees nothing it should not.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStore, enrollRegister, listPayments, silentLogger, startServer, type RunningServer } from "@codepay/sync-server";
import { PROTOCOL_VERSION, downTopic, statusTopic, upTopic } from "@codepay/contract";
import { requireToolOrSkip } from "@codepay/hardware-sim";

const hasClients = requireToolOrSkip("mosquitto_sub", "foreign-client isolation tests") && requireToolOrSkip("mosquitto_pub", "foreign-client isolation tests");

const STORE = "iso-store";
const A = "iso-reg-a";
const B = "iso-reg-b";

interface Run {
  status: number | null;
  output: string;
}

describe.skipIf(!hasClients)("a register cannot reach another register's topics (mosquitto clients)", () => {
  let dataDir: string;
  let server: RunningServer;
  let port: string;
  let passwordA = "";
  let passwordB: string;
  let registerB: MqttClient;
  const seenByB: string[] = [];
  let bDisconnects = 0;

  /** Runs a mosquitto client (asynchronously: the server under test lives in this process), debug output on. */
  function mosquitto(tool: "mosquitto_sub" | "mosquitto_pub", args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(tool, ["-h", "127.0.0.1", "-p", port, "-V", "mqttv311", "-d", ...args], { encoding: "utf8", timeout: 10_000 }, (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ status, output: `${stdout}${stderr}` });
      });
    });
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "codepay-isolation-"));
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
    port = new URL(server.mqttUrl).port;
    await createStore({ dataDir, id: STORE, name: "Isolation Store", currency: "JPY" });
    passwordA = (await enrollRegister({ dataDir, storeId: STORE, registerId: A, name: "A" })).password;
    passwordB = (await enrollRegister({ dataDir, storeId: STORE, registerId: B, name: "B" })).password;
    registerB = mqtt.connect(server.mqttUrl, { clientId: B, username: B, password: passwordB, protocolVersion: 4, clean: false, reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      registerB.once("connect", () => resolve());
      registerB.once("error", reject);
    });
    registerB.on("close", () => (bDisconnects += 1));
    registerB.on("message", (topic, payload) => seenByB.push(`${topic} ${payload.toString()}`));
    await registerB.subscribeAsync(downTopic(STORE, B), { qos: 1 });
  });

  afterAll(async () => {
    await registerB?.endAsync();
    await server?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test("A can subscribe to its own down topic (the tools and credentials work)", async () => {
    const own = await mosquitto("mosquitto_sub", ["-i", A, "-u", A, "-P", passwordA, "-t", downTopic(STORE, A), "-q", "1", "-E"]);
    expect(own.output).toMatch(/received SUBACK/);
    expect(own.output).toMatch(/Subscribed \(mid: \d+\): 1$/m);
    expect(own.output).not.toMatch(/denied/i);
    expect(own.status).toBe(0);
  });

  test.each([
    ["B's down topic", downTopic(STORE, B)],
    ["B's up topic", upTopic(STORE, B)],
    ["everything", "#"],
    ["every register's results", "codepay/v1/+/+/down"],
    ["the store's registers", `codepay/v1/${STORE}/#`],
  ])("A's subscription to %s is denied", async (_what, topic) => {
    const run = await mosquitto("mosquitto_sub", ["-i", A, "-u", A, "-P", passwordA, "-t", topic, "-q", "1", "-E"]);
    // SUBACK return code 0x80 (failure) for the only topic: mosquitto_sub reports every subscription denied.
    expect(run.output).toMatch(/All subscription requests were denied|Subscribed \(mid: \d+\): 128/);
  });

  test("A's request published on B's up topic is never handled, and A is disconnected", async () => {
    const before = (await listPayments({ dataDir })).payments.length;
    const forged = JSON.stringify({ v: PROTOCOL_VERSION, type: "payment.create", requestId: "forged-request-0001", paymentId: "forged-payment-0001", amount: { minor: 100, currency: "JPY" } });
    await mosquitto("mosquitto_pub", ["-i", A, "-u", A, "-P", passwordA, "-t", upTopic(STORE, B), "-q", "1", "-m", forged]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let a wrongly accepted request reach the handler
    const after = (await listPayments({ dataDir })).payments;
    expect(after).toHaveLength(before);
    expect(after.find((p) => p.paymentId === "forged-payment-0001")).toBeUndefined();
  });

  test("A's forged result on B's down topic and presence on B's status topic never reach B", async () => {
    const forgedResult = JSON.stringify({ v: PROTOCOL_VERSION, type: "payment.state", paymentId: "forged-payment-0002", state: "approved", amount: { minor: 100, currency: "JPY" }, updatedAt: 0 });
    await mosquitto("mosquitto_pub", ["-i", A, "-u", A, "-P", passwordA, "-t", downTopic(STORE, B), "-q", "1", "-m", forgedResult]);
    await mosquitto("mosquitto_pub", ["-i", A, "-u", A, "-P", passwordA, "-t", statusTopic(STORE, B), "-q", "1", "-r", "-m", "offline"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seenByB).toEqual([]);
  });

  test("A cannot take over B's session with B's client id, and B stays connected", async () => {
    const takeover = await mosquitto("mosquitto_sub", ["-i", B, "-u", A, "-P", passwordA, "-t", downTopic(STORE, A), "-E"]);
    expect(takeover.output).toMatch(/Connection Refused|not authori[sz]ed|identifier rejected|bad user name or password/i);
    expect(takeover.status).not.toBe(0);
    expect(registerB.connected).toBe(true);
    expect(bDisconnects).toBe(0);
  });

  test.each([
    ["anonymous", []],
    ["a wrong password", ["-u", A, "-P", "not-the-password"]],
    ["B's name with A's password", ["-u", B, "-P", passwordA]],
  ])("a client with %s is refused", async (_what, credentials) => {
    const run = await mosquitto("mosquitto_sub", ["-i", credentials[1] ?? "anonymous-client", ...credentials, "-t", "#", "-E"]);
    expect(run.output).toMatch(/Connection Refused|not authori[sz]ed|bad user name or password/i);
    expect(run.status).not.toBe(0);
  });
});
