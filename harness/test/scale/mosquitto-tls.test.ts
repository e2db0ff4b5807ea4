/**
 * TLS on the dedicated line with mosquitto (docs/deploy/README.md): `admin broker files --tls-port`
 * adds a listener that requires a client certificate from `admin tls issue-register` and takes the
 * register id from its CN. The real agent pays end to end over it through a server instance on the
 * plain listener; a register holding another register's certificate is that other register, whatever
 * user name it sends; a client without a certificate does not get in.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStore, createTlsCa, enrollRegister, enrollUser, issueRegisterCert, issueServerCert, listPayments, silentLogger, startServer, topUp, writeBrokerFiles, type RunningServer } from "@codepay/sync-server";
import { PROTOCOL_VERSION, upTopic } from "@codepay/contract";
import { parseConfig, startAgent } from "@codepay/terminal-agent";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { freeLoopbackPorts, startMosquitto, type MosquittoProcess } from "../../src/cluster/index.js";
import { pollUntil } from "../helpers/poll-until.js";

const hasTools = requireToolOrSkip("mosquitto", "mosquitto TLS tests") && requireToolOrSkip("openssl", "mosquitto TLS tests (certificates are made with openssl)");

const STORE = "tls-store";
const A = "tls-reg-a";
const B = "tls-reg-b";

describe.skipIf(!hasTools)("registers on mosquitto over TLS with client certificates", () => {
  let dir: string;
  let broker: MosquittoProcess;
  let server: RunningServer;
  let tlsUrl: string;
  let subscriberCredential: string;
  let observerPassword: string;
  const passwords = new Map<string, string>();
  const pem = (file: string): Buffer => readFileSync(join(dir, "tls", file));

  beforeAll(async () => {
    delete process.env["DATABASE_URL"]; // SQLite: one instance is enough to test the broker's TLS
    dir = await mkdtemp(join(tmpdir(), "codepay-mosquitto-tls-"));
    await createStore({ dataDir: dir, id: STORE, name: "TLS Store", currency: "JPY" });
    for (const register of [A, B]) passwords.set(register, (await enrollRegister({ dataDir: dir, storeId: STORE, registerId: register, name: register })).password);
    const user = await enrollUser({ dataDir: dir, userId: "tls-user", name: "TLS User", phoneId: "+817000000099" });
    await topUp({ dataDir: dir, userId: "tls-user", amountMinor: 100_000, currency: "JPY", requestId: "tls-topup" });
    subscriberCredential = user.subscriberCredential;
    createTlsCa({ out: join(dir, "tls") });
    issueServerCert({ ca: join(dir, "tls"), host: "127.0.0.1", out: join(dir, "tls") });
    for (const register of [A, B]) issueRegisterCert({ ca: join(dir, "tls"), registerId: register, out: join(dir, "tls") });
    const [plainPort, tlsPort] = (await freeLoopbackPorts(2)) as [number, number];
    const files = await writeBrokerFiles({
      dataDir: dir,
      out: join(dir, "broker"),
      instances: 2, // codepay-server-1 serves; codepay-server-2 observes what passes the ACL
      port: plainPort,
      host: "127.0.0.1",
      tls: { port: tlsPort, host: "127.0.0.1", caFile: join(dir, "tls", "ca.crt"), certFile: join(dir, "tls", "server.crt"), keyFile: join(dir, "tls", "server.key") },
    });
    broker = await startMosquitto(files.configFile, plainPort, dir);
    tlsUrl = `mqtts://127.0.0.1:${tlsPort}`;
    const service = files.services[0]!;
    observerPassword = readFileSync(files.services[1]!.passwordFile, "utf8").trim();
    server = await startServer({
      dataDir: dir,
      ports: { shopperApi: 0, gateway: 0 },
      logger: silentLogger(),
      broker: { url: broker.url, username: service.username, password: readFileSync(service.passwordFile, "utf8").trim(), group: "codepay" },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await broker?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test("the real agent pays end to end over mqtts:// with its certificate", async () => {
    const agent = await startAgent(
      parseConfig({
        server: { url: tlsUrl, tls: { ca: join(dir, "tls", "ca.crt"), cert: join(dir, "tls", `${A}.crt`), key: join(dir, "tls", `${A}.key`) } },
        register: { storeId: STORE, registerId: A, password: passwords.get(A)! },
        currency: "JPY",
        language: "en",
        storeName: "TLS Store",
        journalPath: join(dir, "agent-journal.sqlite"),
        cashierApi: { host: "127.0.0.1", port: 0 },
        devices: {},
      }),
      { logger: silentLogger() },
    );
    try {
      const cashier = async (path: string, body?: unknown) => {
        const response = await fetch(`${agent.cashierApiUrl}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as { payment?: { paymentId: string; state: string; code?: string }; mqtt?: string } };
      };
      await pollUntil("the agent's line up over TLS", async () => ((await cashier("/v1/health")).body.mqtt === "up" ? true : undefined));
      const created = await cashier("/v1/payments", { amountMinor: 500 });
      expect(created.status).toBe(201);
      const paymentId = created.body.payment!.paymentId;
      const code = await pollUntil("the code", async () => (await cashier(`/v1/payments/${paymentId}`)).body.payment?.code);
      const phone = new SimPhone({ gatewayUrl: server.gatewayUrl, subscriberCredential });
      expect((await phone.claim(code)).ok).toBe(true);
      expect((await phone.approve(paymentId)).ok).toBe(true);
      expect(await pollUntil("approved at the agent", async () => ((await cashier(`/v1/payments/${paymentId}`)).body.payment?.state === "approved" ? true : undefined))).toBe(true);
    } finally {
      await agent.stop();
    }
  });

  test("B's certificate with A's user name is B: its request on A's topic never reaches the server", async () => {
    const client = await mqtt.connectAsync(tlsUrl, {
      clientId: A,
      username: A,
      password: passwords.get(A)!,
      ca: pem("ca.crt"),
      cert: pem(`${B}.crt`),
      key: pem(`${B}.key`),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    // A second service account sees every request the broker lets through. mosquitto handles one
    // connection's publishes in order, so once it has B's own request (sent second) it would have
    // had the forged one already.
    const observer = await mqtt.connectAsync(broker.url, { clientId: "codepay-server-2", username: "codepay-server-2", password: observerPassword, protocolVersion: 4, reconnectPeriod: 0 });
    const seen: string[] = [];
    observer.on("message", (topic, payload) => seen.push(`${topic} ${(JSON.parse(payload.toString()) as { paymentId?: string }).paymentId ?? ""}`));
    await observer.subscribeAsync("codepay/v1/+/+/up", { qos: 1 });
    const forged = { v: PROTOCOL_VERSION, type: "payment.create", requestId: "tls-forged-request-1", paymentId: "tls-forged-payment-1", amount: { minor: 100, currency: "JPY" } };
    await client.publishAsync(upTopic(STORE, A), JSON.stringify(forged), { qos: 1 });
    const own = { ...forged, requestId: "tls-own-request-1", paymentId: "tls-own-payment-1" };
    await client.publishAsync(upTopic(STORE, B), JSON.stringify(own), { qos: 1 });
    await pollUntil("B's own request at the observer", () => (seen.length > 0 ? true : undefined));
    await pollUntil("B's own request handled", async () => ((await listPayments({ dataDir: dir })).payments.some((p) => p.paymentId === "tls-own-payment-1") ? true : undefined));
    await client.endAsync();
    await observer.endAsync();
    expect(seen).toEqual([`${upTopic(STORE, B)} tls-own-payment-1`]);
    const payments = (await listPayments({ dataDir: dir })).payments;
    expect(payments.find((p) => p.paymentId === "tls-forged-payment-1")).toBeUndefined();
    expect(payments.find((p) => p.paymentId === "tls-own-payment-1")?.registerId).toBe(B);
  });

  test("a client without a certificate does not get in", async () => {
    await expect(
      mqtt.connectAsync(tlsUrl, { clientId: A, username: A, password: passwords.get(A)!, ca: pem("ca.crt"), protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000 }),
    ).rejects.toThrow();
  });
});
