/**
 * MQTT over TLS with register certificates (SECURITY.md, "stolen register credentials"): the CA and
 * certificates come from `codepay-server admin tls ...` (Debian's openssl), the client is mqtt.js,
 * and with --require-client-cert a register must present a certificate whose CN is its own id.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createStore, createTlsCa, enrollRegister, issueRegisterCert, issueServerCert, silentLogger, startServer, type RunningServer } from "@codepay/sync-server";
import { PROTOCOL_VERSION, downTopic, upTopic } from "@codepay/contract";
import { requireToolOrSkip } from "@codepay/hardware-sim";
import { loadConfig, startAgent } from "@codepay/terminal-agent";

const hasOpenssl = requireToolOrSkip("openssl", "MQTT over TLS tests (certificates are made with openssl)");
const hasMosquitto = hasOpenssl && requireToolOrSkip("mosquitto_sub", "MQTT over TLS with a foreign client");

const STORE = "tls-store";
const A = "tls-reg-a";
const B = "tls-reg-b";

describe.skipIf(!hasOpenssl)("MQTT over TLS with register certificates", () => {
  let dir: string;
  let server: RunningServer;
  let tlsPort: number;
  let ca: Buffer;
  const password: Record<string, string> = {};
  const clients: MqttClient[] = [];
  const logLines: string[] = [];
  const logger = pino({ level: "info" }, new Writable({ write: (chunk: Buffer, _e, done) => (logLines.push(chunk.toString()), done()) }));

  const certOf = async (register: string): Promise<{ cert: Buffer; key: Buffer }> => ({
    cert: await readFile(join(dir, "registers", `${register}.crt`)),
    key: await readFile(join(dir, "registers", `${register}.key`)),
  });

  /** Connects and resolves "connected", or the refusal's message. */
  function tryConnect(options: IClientOptions): Promise<{ client: MqttClient; outcome: string }> {
    return new Promise((resolve) => {
      const client = mqtt.connect({ host: "127.0.0.1", port: tlsPort, protocol: "mqtts", protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ca, ...options });
      clients.push(client);
      client.once("connect", () => resolve({ client, outcome: "connected" }));
      client.once("error", (error) => resolve({ client, outcome: `error: ${error.message}` }));
      client.once("close", () => resolve({ client, outcome: "closed" }));
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codepay-tls-"));
    createTlsCa({ out: join(dir, "ca") });
    issueServerCert({ ca: join(dir, "ca"), host: "127.0.0.1", out: join(dir, "server") });
    for (const register of [A, B]) issueRegisterCert({ ca: join(dir, "ca"), registerId: register, out: join(dir, "registers") });
    ca = await readFile(join(dir, "ca", "ca.crt"));
    const dataDir = join(dir, "data");
    server = await startServer({
      dataDir,
      ports: { mqtt: 0, shopperApi: 0, gateway: 0 },
      logger,
      tls: { port: 0, cert: join(dir, "server", "server.crt"), key: join(dir, "server", "server.key"), ca: join(dir, "ca", "ca.crt"), requireClientCert: true },
    });
    tlsPort = Number(new URL(server.mqttTlsUrl ?? "").port);
    await createStore({ dataDir, id: STORE, name: "TLS Store", currency: "JPY" });
    for (const register of [A, B]) password[register] = (await enrollRegister({ dataDir, storeId: STORE, registerId: register, name: register })).password;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test("private keys are written mode 0600", async () => {
    for (const key of [join(dir, "ca", "ca.key"), join(dir, "registers", `${A}.key`), join(dir, "server", "server.key")]) {
      expect((await stat(key)).mode & 0o777).toBe(0o600);
    }
  });

  test("a register with its own certificate connects over TLS and gets a payment issued", async () => {
    const { client, outcome } = await tryConnect({ clientId: A, username: A, password: password[A], ...(await certOf(A)) });
    expect(outcome).toBe("connected");
    const reply = new Promise<Record<string, unknown>>((resolve) => client.on("message", (_t, payload) => resolve(JSON.parse(payload.toString()) as Record<string, unknown>)));
    await client.subscribeAsync(downTopic(STORE, A), { qos: 1 });
    await client.publishAsync(upTopic(STORE, A), JSON.stringify({ v: PROTOCOL_VERSION, type: "payment.create", requestId: "tls-request-0001", paymentId: "tls-payment-0001", amount: { minor: 500, currency: "JPY" } }), { qos: 1 });
    const message = await reply;
    expect(message["type"]).toBe("payment.issued");
    expect(message["paymentId"]).toBe("tls-payment-0001");
    expect(String(message["code"])).toMatch(/^\d{4,12}$/);
  });

  test("a register presenting another register's certificate is refused (CN is not the client id)", async () => {
    const { outcome } = await tryConnect({ clientId: A, username: A, password: password[A], ...(await certOf(B)) });
    expect(outcome).toMatch(/Not authorized/i);
    expect(logLines.join("")).toMatch(/TLS_CLIENT_CERT_MISMATCH: certificate CN \\"tls-reg-b\\" is not the client id/);
  });

  test("a register without a client certificate is refused at the handshake", async () => {
    const { outcome } = await tryConnect({ clientId: A, username: A, password: password[A] });
    expect(outcome).not.toBe("connected");
    expect(logLines.join("")).toMatch(/TLS handshake refused/);
  });

  test("a certificate from another CA is refused at the handshake", async () => {
    const other = join(dir, "other-ca");
    createTlsCa({ out: other });
    issueRegisterCert({ ca: other, registerId: A, out: join(dir, "other-registers") });
    const { outcome } = await tryConnect({ clientId: A, username: A, password: password[A], cert: await readFile(join(dir, "other-registers", `${A}.crt`)), key: await readFile(join(dir, "other-registers", `${A}.key`)) });
    expect(outcome).not.toBe("connected");
  });

  test("plain MQTT on the TLS port gets no CONNACK", async () => {
    const { outcome } = await new Promise<{ outcome: string }>((resolve) => {
      const client = mqtt.connect({ host: "127.0.0.1", port: tlsPort, protocol: "mqtt", clientId: A, username: A, password: password[A], protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3_000 });
      clients.push(client);
      client.once("connect", () => resolve({ outcome: "connected" }));
      client.once("error", (error) => resolve({ outcome: `error: ${error.message}` }));
      client.once("close", () => resolve({ outcome: "closed" }));
    });
    expect(outcome).not.toBe("connected");
  });

  test("raw bytes on the TLS port are answered by a TLS alert or a close, never MQTT", async () => {
    const answer = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const socket = netConnect(tlsPort, "127.0.0.1", () => socket.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00])));
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("close", () => resolve(Buffer.concat(chunks)));
      socket.on("error", () => undefined);
      setTimeout(() => socket.destroy(), 3_000);
    });
    // 0x20 would be a CONNACK; a TLS alert record starts 0x15.
    expect(answer[0]).not.toBe(0x20);
  });

  test("the terminal agent, configured with server.tls and an mqtts:// url, brings its line up over TLS", async () => {
    const file = join(dir, "agent.json");
    await writeFile(
      file,
      JSON.stringify({
        server: { url: server.mqttTlsUrl, tls: { ca: "ca/ca.crt", cert: `registers/${B}.crt`, key: `registers/${B}.key` } },
        register: { storeId: STORE, registerId: B, password: password[B] },
        currency: "JPY",
        storeName: "TLS Store",
        journalPath: "agent-journal.sqlite",
        cashierApi: { host: "127.0.0.1", port: 0 },
      }),
    );
    await chmod(file, 0o600);
    const agent = await startAgent(loadConfig(file).config, { logger: silentLogger() });
    try {
      let mqttState: string | undefined;
      for (let i = 0; i < 100 && mqttState !== "up"; i += 1) {
        mqttState = ((await (await fetch(`${agent.cashierApiUrl}/v1/health`)).json()) as { mqtt?: string }).mqtt;
        if (mqttState !== "up") await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(mqttState).toBe("up");
    } finally {
      await agent.stop();
    }
  });

  test("with TLS as the only listener there is no plain MQTT port: mqttUrl is the mqtts:// one, and the configured plain port refuses connections", async () => {
    // A port that was free a moment ago, given as the plain MQTT port: with `only` nothing may listen on it.
    const plainPort = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, "127.0.0.1", () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    const only = await startServer({
      dataDir: join(dir, "data-tls-only"),
      ports: { mqtt: plainPort, shopperApi: 0, gateway: 0 },
      logger: silentLogger(),
      tls: { port: 0, cert: join(dir, "server", "server.crt"), key: join(dir, "server", "server.key"), ca: join(dir, "ca", "ca.crt"), requireClientCert: true, only: true },
    });
    try {
      expect(only.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
      expect(only.mqttUrl).toBe(only.mqttTlsUrl);
      const plain = await new Promise<string>((resolve) => {
        const socket = netConnect(plainPort, "127.0.0.1", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
      expect(plain).toBe("ECONNREFUSED");
    } finally {
      await only.stop();
    }
  });

  test.skipIf(!hasMosquitto)("mosquitto_sub over TLS: own certificate subscribes; another register's certificate is refused", async () => {
    const run = (certFor: string): Promise<string> =>
      new Promise((resolve) => {
        execFile(
          "mosquitto_sub",
          ["-h", "127.0.0.1", "-p", String(tlsPort), "-V", "mqttv311", "-d", "--cafile", join(dir, "ca", "ca.crt"), "--cert", join(dir, "registers", `${certFor}.crt`), "--key", join(dir, "registers", `${certFor}.key`), "-i", A, "-u", A, "-P", password[A] ?? "", "-t", downTopic(STORE, A), "-q", "1", "-E"],
          { encoding: "utf8", timeout: 10_000 },
          (_error, stdout, stderr) => resolve(`${stdout}${stderr}`),
        );
      });
    expect(await run(A)).toMatch(/received SUBACK/);
    expect(await run(B)).toMatch(/Connection Refused|not authori[sz]ed/i);
  });
});
