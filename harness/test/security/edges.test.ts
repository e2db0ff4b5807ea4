/**
 * Issue 18, what a foreign tester found at the edges, each refused now. Every request here is made the
 * way the tester made it: raw bytes on a socket (so a path reaches the server exactly as written, as
 * `curl --path-as-is` sends it), Debian's openssl for TLS, real mqtt.js for a register.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStore, createTlsCa, demoSeed, enrollRegister, issueServerCert, listPayments, scrapeMetricsText, silentLogger, startServer, type DemoSeedOutput, type RunningServer } from "@codepay/sync-server";
import { PROTOCOL_VERSION, downTopic, upTopic } from "@codepay/contract";
import { requireToolOrSkip } from "@codepay/hardware-sim";
import { loadConfig } from "@codepay/terminal-agent";
import { Journal } from "@codepay/terminal-agent/parts";

const hasOpenssl = requireToolOrSkip("openssl", "TLS cipher tests (certificates and the client are Debian's openssl)");

const STORE = "edge-store";
const REGISTER = "edge-reg-1";

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 request written byte for byte: the path is never normalized on the way. */
function rawHttp(baseUrl: string, requestLine: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", ...rest] = text.split("\r\n\r\n");
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const parsed: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        if (colon > 0) parsed[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers: parsed, body: rest.join("\r\n\r\n") });
    });
    const lines = [requestLine, `host: ${url.host}`, "connection: close", ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  });
}

function expectErrorShape(reply: RawReply): void {
  const body = JSON.parse(reply.body) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe("string");
  expect(typeof body.error?.message).toBe("string");
  expect(reply.headers["x-content-type-options"]).toBe("nosniff");
  expect(reply.headers["content-security-policy"]).toContain("default-src 'none'");
}

/** Writes `bytes` and resolves when the server closes the socket, with how long it took. */
function closedAfter(port: number, bytes: Buffer, timeoutMs: number): Promise<{ closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, ms: Date.now() - started });
    }, timeoutMs);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ closed: true, ms: Date.now() - started });
    });
    socket.write(bytes);
  });
}

/** A fixed header announcing `length` body bytes [MQTT-2.2.3], then a few of them. */
function announcing(type: number, length: number): Buffer {
  const lengthBytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    lengthBytes.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([type, ...lengthBytes]), Buffer.alloc(1024, 0x41)]);
}

async function metricsText(server: RunningServer): Promise<string> {
  return scrapeMetricsText(server.operatorUrl);
}

describe("issue 18: the edges a foreign tester found", () => {
  let dir: string;
  let dataDir: string;
  let server: RunningServer;
  let password: string;
  let mqttPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codepay-edges-"));
    dataDir = join(dir, "data");
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
    mqttPort = Number(new URL(server.mqttUrl).port);
    await createStore({ dataDir, id: STORE, name: "Edge Store", currency: "JPY" });
    password = (await enrollRegister({ dataDir, storeId: STORE, registerId: REGISTER, name: "Edge 1" })).password;
  });

  afterAll(async () => {
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  describe("1. the gateway's asset pass-through forwards only the assets it serves", () => {
    test.each([["/assets/../metrics"], ["/assets/%2e%2e/metrics"], ["/assets/%2E%2E/health"], ["/assets/..\\metrics"], ["/assets/../health"], ["/pay/../metrics"]])(
      "GET %s without a credential reaches no private route",
      async (path) => {
        const reply = await rawHttp(server.gatewayUrl, `GET ${path} HTTP/1.1`);
        expect(reply.status).not.toBe(200);
        expect(reply.body).not.toContain("codepay_");
        expect(reply.body).not.toContain("outboxDepth");
        expectErrorShape(reply);
      },
    );

    test("with a valid-looking credential, dot segments and %-escapes outside /api/v1/ are refused too", async () => {
      for (const path of ["/metrics", "/health", "/api/v1/../../metrics", "/api/v1/%2e%2e/%2e%2e/metrics"]) {
        const reply = await rawHttp(server.gatewayUrl, `GET ${path} HTTP/1.1`, { authorization: "Bearer aaaaaaaaaaaaaaaaaaaaaaaa" });
        expect(reply.status, path).toBe(404);
        expect(reply.body).not.toContain("codepay_");
        expectErrorShape(reply);
      }
    });

    test("the page and its assets still pass through", async () => {
      const page = await rawHttp(server.gatewayUrl, "GET /pay?lang=ja HTTP/1.1");
      expect(page.status).toBe(200);
      expect(page.body).toContain('lang="ja"');
      const script = await rawHttp(server.gatewayUrl, "GET /assets/shopper.js HTTP/1.1");
      expect(script.status).toBe(200);
      expect(script.headers["content-type"]).toContain("javascript");
      expect((await rawHttp(server.gatewayUrl, "GET /assets/nope.js HTTP/1.1")).status).toBe(404);
    });
  });

  describe("1. /metrics and /health live on the operator listener only", () => {
    test("neither public listener answers them: the shopper API and the gateway say 404 in the error shape", async () => {
      for (const base of [server.shopperApiUrl, server.gatewayUrl]) {
        for (const path of ["/metrics", "/health"]) {
          const reply = await rawHttp(base, `GET ${path} HTTP/1.1`);
          expect(reply.status, `${base}${path}`).toBe(404);
          expect(reply.body).not.toContain("codepay_");
          expect(reply.body).not.toContain("outboxDepth");
          expectErrorShape(reply);
        }
      }
    });

    test("the operator listener is its own port on 127.0.0.1 and answers both", async () => {
      const operator = new URL(server.operatorUrl);
      expect(operator.hostname).toBe("127.0.0.1");
      expect([new URL(server.shopperApiUrl).port, new URL(server.gatewayUrl).port]).not.toContain(operator.port);
      const metrics = await rawHttp(server.operatorUrl, "GET /metrics HTTP/1.1");
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain("codepay_connected_registers");
      expect(metrics.headers["x-content-type-options"]).toBe("nosniff");
      expect((await rawHttp(server.operatorUrl, "GET /health HTTP/1.1")).status).toBe(200);
      expectErrorShape(await rawHttp(server.operatorUrl, "GET /%c0 HTTP/1.1"));
    });

    test("with an operator token, a request without it or with another is 401 OPERATOR_UNAUTHORIZED", async () => {
      const tokenDir = await mkdtemp(join(tmpdir(), "codepay-operator-token-"));
      const token = "operator-token-0123456789abcdef";
      const guarded = await startServer({ dataDir: join(tokenDir, "data"), ports: { mqtt: 0, shopperApi: 0, gateway: 0, operator: 0 }, operator: { token }, logger: silentLogger() });
      try {
        for (const headers of [{}, { authorization: "Bearer operator-token-0123456789abcdeX" }, { authorization: `Basic ${token}` }, { authorization: "Bearer" }] as Record<string, string>[]) {
          for (const path of ["/metrics", "/health"]) {
            const reply = await rawHttp(guarded.operatorUrl, `GET ${path} HTTP/1.1`, headers);
            expect(reply.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
            expect(JSON.parse(reply.body).error.code).toBe("OPERATOR_UNAUTHORIZED");
            expect(reply.body).not.toContain("codepay_");
            expectErrorShape(reply);
          }
        }
        const metrics = await rawHttp(guarded.operatorUrl, "GET /metrics HTTP/1.1", { authorization: `Bearer ${token}` });
        expect(metrics.status).toBe(200);
        expect(metrics.body).toContain("codepay_payments");
        expect(await scrapeMetricsText({ url: guarded.operatorUrl, token })).toContain("codepay_outbox_depth");
      } finally {
        await guarded.stop();
        await rm(tokenDir, { recursive: true, force: true });
      }
    });
  });

  test("2. made-up request types do not grow the metrics: one 'unknown' series", async () => {
    const register = await mqtt.connectAsync(server.mqttUrl, { clientId: REGISTER, username: REGISTER, password, protocolVersion: 4, clean: false, reconnectPeriod: 0 });
    try {
      for (let i = 0; i < 300; i += 1) {
        const payload = JSON.stringify({ v: PROTOCOL_VERSION, type: `made-up-${i}`, requestId: `edge-request-${String(i).padStart(4, "0")}` });
        await register.publishAsync(upTopic(STORE, REGISTER), payload, { qos: 1 });
      }
      let text = "";
      for (let attempt = 0; attempt < 50; attempt += 1) {
        text = await metricsText(server);
        if (/codepay_register_requests_total\{type="unknown",outcome="[A-Z_]+"\} 300/.test(text)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(text).toMatch(/codepay_register_requests_total\{type="unknown",outcome="[A-Z_]+"\} 300/);
      expect(text).not.toContain("made-up-");
    } finally {
      await register.endAsync();
    }
  });

  describe("3. a packet announcing more than its bound is refused before it is read", () => {
    test("a CONNECT announcing 100 MB: the socket is closed at its first bytes, and counted", async () => {
      const result = await closedAfter(mqttPort, announcing(0x10, 100 * 1024 * 1024), 5_000);
      expect(result.closed).toBe(true);
      expect(await metricsText(server)).toMatch(/codepay_mqtt_packets_refused_total\{reason="connect_too_large"\} [1-9]/);
    });

    test("a logged-in register's PUBLISH announcing 100 MB: disconnected, the broker keeps serving", async () => {
      const register = await mqtt.connectAsync(server.mqttUrl, { clientId: REGISTER, username: REGISTER, password, protocolVersion: 4, clean: false, reconnectPeriod: 0 });
      const closed = new Promise<void>((resolve) => register.stream.once("close", () => resolve()));
      register.stream.write(announcing(0x32, 100 * 1024 * 1024));
      await closed;
      await register.endAsync(true);
      expect(await metricsText(server)).toMatch(/codepay_mqtt_packets_refused_total\{reason="packet_too_large"\} [1-9]/);
      const again = await mqtt.connectAsync(server.mqttUrl, { clientId: REGISTER, username: REGISTER, password, protocolVersion: 4, clean: false, reconnectPeriod: 0 });
      await again.endAsync();
    });
  });

  describe("4. errors raised before a route runs keep the error shape and the headers", () => {
    test.each([["gateway"], ["shopper API"]])("%s: a badly encoded URL", async (listener) => {
      const reply = await rawHttp(listener === "gateway" ? server.gatewayUrl : server.shopperApiUrl, "GET /%c0 HTTP/1.1");
      expect(reply.status).toBe(400);
      expectErrorShape(reply);
      expect(reply.body).not.toContain("FST_ERR");
    });

    test.each([["gateway"], ["shopper API"]])("%s: a 120 KB URL gets 431 in the error shape", async (listener) => {
      const reply = await rawHttp(listener === "gateway" ? server.gatewayUrl : server.shopperApiUrl, `GET /pay?x=${"a".repeat(120 * 1024)} HTTP/1.1`);
      expect(reply.status).toBe(431);
      expectErrorShape(reply);
    });
  });

  describe("5. files other users could read", () => {
    test("the data directory is 0700, the database, its WAL and the keys 0600", async () => {
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
      for (const file of ["codepay.sqlite", "codepay.sqlite-wal", "register-key"]) {
        expect((await stat(join(dataDir, file))).mode & 0o777, file).toBe(0o600);
      }
    });

    test("the agent's journal is created 0600 in a 0700 directory", async () => {
      const journalDir = join(dir, "agent", "journal");
      const journalPath = join(journalDir, "journal.sqlite");
      Journal.open(journalPath).close();
      expect((await stat(journalPath)).mode & 0o777).toBe(0o600);
      expect((await stat(journalDir)).mode & 0o777).toBe(0o700);
    });
  });
});

describe("7. a JSON body naming a key twice, receipt lines that do not add up, another register's payment id", () => {
  let dir: string;
  let server: RunningServer;
  let seed: DemoSeedOutput;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codepay-duplicate-keys-"));
    seed = await demoSeed({ dataDir: dir });
    server = await startServer({ dataDir: dir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
  });

  afterAll(async () => {
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test("on the register line: MALFORMED_MESSAGE naming the key, and no payment", async () => {
    const register = await mqtt.connectAsync(server.mqttUrl, { clientId: seed.registerId, username: seed.registerId, password: seed.password, protocolVersion: 4, clean: false, reconnectPeriod: 0 });
    try {
      await register.subscribeAsync(downTopic(seed.storeId, seed.registerId), { qos: 1 });
      const reply = new Promise<string>((resolve) => register.on("message", (_topic, payload) => resolve(payload.toString())));
      const amount = '{"minor":100,"currency":"JPY"}';
      const body = `{"v":${PROTOCOL_VERSION},"type":"payment.create","requestId":"dup-create-0001","paymentId":"dup-payment-0001","amount":${amount},"amount":{"minor":9999999,"currency":"JPY"}}`;
      await register.publishAsync(upTopic(seed.storeId, seed.registerId), body, { qos: 1 });
      const message = JSON.parse(await reply) as { type: string; error?: { code: string; message: string } };
      expect(message.type).toBe("error");
      expect(message.error?.code).toBe("MALFORMED_MESSAGE");
      expect(message.error?.message).toContain('"amount"');
      expect((await listPayments({ dataDir: dir })).payments).toHaveLength(0);
    } finally {
      await register.endAsync();
    }
  });

  test("receipt lines that do not add up to the payment are refused on the register line: no payment", async () => {
    const register = await mqtt.connectAsync(server.mqttUrl, { clientId: seed.registerId, username: seed.registerId, password: seed.password, protocolVersion: 4, clean: false, reconnectPeriod: 0 });
    try {
      await register.subscribeAsync(downTopic(seed.storeId, seed.registerId), { qos: 1 });
      const replies: string[] = [];
      register.on("message", (_topic, payload) => replies.push(payload.toString()));
      const lines = [{ text: "Coffee", amountMinor: 100 }, { text: "Nothing", amountMinor: -9_999_999 }];
      const body = { v: PROTOCOL_VERSION, type: "payment.create", requestId: "lines-create-0001", paymentId: "lines-payment-0001", amount: { minor: 100, currency: "JPY" }, lines };
      await register.publishAsync(upTopic(seed.storeId, seed.registerId), JSON.stringify(body), { qos: 1 });
      for (let attempt = 0; attempt < 50 && !replies.some((reply) => reply.includes("lines-create-0001")); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      const reply = JSON.parse(replies.find((each) => each.includes("lines-create-0001")) ?? "{}") as { type?: string; error?: { code: string; message: string } };
      expect(reply.type).toBe("error");
      expect(reply.error?.code).toBe("MALFORMED_MESSAGE");
      expect(reply.error?.message).toMatch(/^lines: .*add up/);
      expect((await listPayments({ dataDir: dir })).payments.filter((payment) => payment.paymentId === "lines-payment-0001")).toHaveLength(0);
    } finally {
      await register.endAsync();
    }
  });

  test("another register's payment id: the create is issued all the same, so the answer says nothing about other registers", async () => {
    const other = await enrollRegister({ dataDir: dir, storeId: seed.storeId, registerId: "edge-reg-other", name: "Other" });
    const login = (registerId: string, password: string) => mqtt.connectAsync(server.mqttUrl, { clientId: registerId, username: registerId, password, protocolVersion: 4, clean: false, reconnectPeriod: 0 });
    const [mine, theirs] = [await login(seed.registerId, seed.password), await login(other.registerId, other.password)];
    try {
      const create = async (client: mqtt.MqttClient, registerId: string, requestId: string) => {
        await client.subscribeAsync(downTopic(seed.storeId, registerId), { qos: 1 });
        const reply = new Promise<{ type: string; paymentId?: string; error?: { code: string } }>((resolve) =>
          client.on("message", (_topic, payload) => {
            const message = JSON.parse(payload.toString()) as { inReplyTo?: string; type: string };
            if (message.inReplyTo === requestId) resolve(message);
          }),
        );
        const body = { v: PROTOCOL_VERSION, type: "payment.create", requestId, paymentId: "foreign-payment-0001", amount: { minor: 100, currency: "JPY" } };
        await client.publishAsync(upTopic(seed.storeId, registerId), JSON.stringify(body), { qos: 1 });
        return reply;
      };
      expect(await create(theirs, other.registerId, "foreign-create-0001")).toMatchObject({ type: "payment.issued", paymentId: "foreign-payment-0001" });
      expect(await create(mine, seed.registerId, "foreign-create-0002")).toMatchObject({ type: "payment.issued", paymentId: "foreign-payment-0001" });
    } finally {
      await mine.endAsync();
      await theirs.endAsync();
    }
  });

  test("from a phone through the gateway: 400 BAD_REQUEST in the error shape", async () => {
    const reply = await fetch(`${server.gatewayUrl}/api/v1/claims`, {
      method: "POST",
      headers: { authorization: `Bearer ${seed.subscriberCredential}`, "content-type": "application/json" },
      body: '{"requestId":"dup-claim-0001","code":"1234567","code":"7654321"}',
    });
    expect(reply.status).toBe(400);
    const body = (await reply.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("BAD_REQUEST");
    expect(body.error.message).toContain('"code"');
  });
});

describe.skipIf(!hasOpenssl)("6. TLS listeners offer TLS 1.3 and only AEAD suites on TLS 1.2", () => {
  let dir: string;
  let server: RunningServer;

  /** openssl s_client's verdict for one TLS 1.2 cipher (or TLS 1.3). */
  function handshake(port: number, args: string[]): Promise<{ ok: boolean; output: string }> {
    return new Promise((resolve) => {
      const child = execFile("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "127.0.0.1", ...args], { encoding: "utf8", timeout: 10_000 }, (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        resolve({ ok: error === null && /Cipher is (?!\(NONE\))/.test(output), output });
      });
      child.stdin?.end("Q\n");
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codepay-ciphers-"));
    createTlsCa({ out: join(dir, "ca") });
    issueServerCert({ ca: join(dir, "ca"), host: "127.0.0.1", out: join(dir, "server") });
    const cert = join(dir, "server", "server.crt");
    const key = join(dir, "server", "server.key");
    server = await startServer({
      dataDir: join(dir, "data"),
      ports: { mqtt: 0, shopperApi: 0, gateway: 0 },
      logger: silentLogger(),
      tls: { port: 0, cert, key },
      https: { cert, key, ca: join(dir, "ca", "ca.crt") },
    });
  });

  afterAll(async () => {
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test.each([["MQTT over TLS"], ["gateway HTTPS"], ["shopper API HTTPS"]])("%s: CBC-SHA1 refused, AES-GCM and TLS 1.3 accepted", async (listener) => {
    const url = listener === "MQTT over TLS" ? (server.mqttTlsUrl ?? "") : listener === "gateway HTTPS" ? server.gatewayUrl : server.shopperApiUrl;
    const port = Number(new URL(url).port);
    for (const cbc of ["ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES256-SHA", "AES128-SHA"]) {
      expect((await handshake(port, ["-tls1_2", "-cipher", cbc])).ok, cbc).toBe(false);
    }
    const gcm = await handshake(port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"]);
    expect(gcm.ok, gcm.output).toBe(true);
    const tls13 = await handshake(port, ["-tls1_3"]);
    expect(tls13.ok, tls13.output).toBe(true);
  });
});

describe("5. check-config warns about a journal others can read", () => {
  test("a 0644 journal beside the config is named in the warnings", async () => {
    const dir = await mkdtemp(join(tmpdir(), "codepay-journal-mode-"));
    try {
      const { writeFile } = await import("node:fs/promises");
      const configPath = join(dir, "agent.json");
      await writeFile(
        configPath,
        JSON.stringify({
          server: { url: "mqtt://127.0.0.1:1883" },
          register: { storeId: STORE, registerId: REGISTER, password: "x".repeat(32) },
          currency: "JPY",
          storeName: "Edge Store",
          journalPath: "journal.sqlite",
        }),
        { mode: 0o600 },
      );
      await writeFile(join(dir, "journal.sqlite"), "");
      await chmod(join(dir, "journal.sqlite"), 0o644);
      const loaded = loadConfig(configPath);
      expect(loaded.warnings.join("\n")).toMatch(/journal\.sqlite is accessible to group or others \(mode 644\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
