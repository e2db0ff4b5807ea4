/**
 * TLS sessions that survive a server restart (issue 23, SECURITY.md "TLS session tickets"): the
 * server's ticket key comes from `tls-ticket-key` in its data directory, so a register that was
 * connected before a restart resumes its session after it instead of paying a full handshake with
 * certificates. A resumed session still identifies the register by the certificate of its full
 * handshake: it cannot be used to log in as another register.
 */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStore, createTlsCa, enrollRegister, issueRegisterCert, issueServerCert, scrapeMetricsText, silentLogger } from "@codepay/sync-server";
import { requireToolOrSkip } from "@codepay/hardware-sim";
import { loadConfig, startAgent } from "@codepay/terminal-agent";
import { freeLoopbackPorts } from "../../src/cluster/index.js";
import { ManagedProcess, serverBin } from "../../src/faults/processes.js";

const hasOpenssl = requireToolOrSkip("openssl", "TLS session resumption tests (certificates are made with openssl)");

const STORE = "resume-store";
const A = "resume-reg-a";
const B = "resume-reg-b";

describe.skipIf(!hasOpenssl)("MQTT/TLS sessions resumed across a server restart", () => {
  let dir: string;
  let dataDir: string;
  let server: ManagedProcess | undefined;
  let tlsPort = 0;
  let operatorPort = 0;
  let ca: Buffer;
  const password: Record<string, string> = {};
  const clients: MqttClient[] = [];

  /**
   * `codepay-server serve` as a process. The restart passes the TLS port in the environment instead
   * of a flag: an operator changing the command line between two starts must not cost every register
   * its session (Node's default session id context is a hash of the command line).
   */
  const serverProcess = (portBy: "flag" | "environment", attempt: number): ManagedProcess =>
    new ManagedProcess(
      `server-${attempt}`,
      [
        serverBin, "serve", "--data-dir", dataDir, "--mqtt-port", "0", "--http-port", "0", "--gateway-port", "0", "--operator-port", String(operatorPort),
        ...(portBy === "flag" ? ["--mqtt-tls-port", String(tlsPort)] : []),
        "--tls-cert", join(dir, "server", "server.crt"), "--tls-key", join(dir, "server", "server.key"), "--tls-ca", join(dir, "ca", "ca.crt"), "--require-client-cert",
      ],
      "listening",
      join(dir, `server-${attempt}.log`),
      portBy === "environment" ? { CODEPAY_MQTT_TLS_PORT: String(tlsPort) } : {},
    );

  /** The TLS listener's handshakes since this server process started, from /metrics. */
  const handshakes = async (): Promise<{ full: number; resumed: number }> => {
    const text = await scrapeMetricsText(`http://127.0.0.1:${operatorPort}`);
    const count = (session: string): number => Number(new RegExp(`^codepay_mqtt_tls_handshakes_total\\{session="${session}"\\} (\\d+)$`, "m").exec(text)?.[1]);
    return { full: count("full"), resumed: count("resumed") };
  };

  const certOf = async (register: string): Promise<{ cert: Buffer; key: Buffer }> => ({
    cert: await readFile(join(dir, "registers", `${register}.crt`)),
    key: await readFile(join(dir, "registers", `${register}.key`)),
  });

  /** Connects; resolves "connected" (with the TLS session to resume) or the refusal. */
  function tryConnect(options: IClientOptions & { session?: Buffer }): Promise<{ outcome: string; session?: Buffer; resumed?: boolean }> {
    return new Promise((resolve) => {
      const client = mqtt.connect({ host: "127.0.0.1", port: tlsPort, protocol: "mqtts", protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ca, ...options });
      clients.push(client);
      client.once("connect", () => {
        const socket = client.stream as unknown as TLSSocket;
        const session = socket.getSession();
        resolve({ outcome: "connected", resumed: socket.isSessionReused(), ...(session !== undefined ? { session } : {}) });
      });
      client.once("error", (error) => resolve({ outcome: `error: ${error.message}` }));
      client.once("close", () => resolve({ outcome: "closed" }));
    });
  }

  const endAll = async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codepay-tls-resume-"));
    dataDir = join(dir, "data");
    createTlsCa({ out: join(dir, "ca") });
    issueServerCert({ ca: join(dir, "ca"), host: "127.0.0.1", out: join(dir, "server") });
    for (const register of [A, B]) issueRegisterCert({ ca: join(dir, "ca"), registerId: register, out: join(dir, "registers") });
    ca = await readFile(join(dir, "ca", "ca.crt"));
    await createStore({ dataDir, id: STORE, name: "Resume Store", currency: "JPY" });
    for (const register of [A, B]) password[register] = (await enrollRegister({ dataDir, storeId: STORE, registerId: register, name: register })).password;
    [tlsPort, operatorPort] = (await freeLoopbackPorts(2)) as [number, number];
    server = serverProcess("flag", 1);
    await server.start();
  });

  afterAll(async () => {
    await endAll();
    await server?.kill9();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test("the ticket secret is a private file in the data directory", async () => {
    const info = await stat(join(dataDir, "tls-ticket-key"));
    expect(info.mode & 0o777).toBe(0o600);
    expect(info.size).toBe(32);
  });

  test("the terminal agent resumes its TLS session after the server is killed and started again with another command line", async () => {
    const file = join(dir, "agent.json");
    await writeFile(
      file,
      JSON.stringify({
        server: { url: `mqtts://127.0.0.1:${tlsPort}`, tls: { ca: "ca/ca.crt", cert: `registers/${A}.crt`, key: `registers/${A}.key` } },
        register: { storeId: STORE, registerId: A, password: password[A] },
        currency: "JPY",
        storeName: "Resume Store",
        journalPath: "agent-journal.sqlite",
        cashierApi: { host: "127.0.0.1", port: 0 },
      }),
    );
    await chmod(file, 0o600);
    const agent = await startAgent(loadConfig(file).config, { logger: silentLogger() });
    const mqttState = async (): Promise<string | undefined> => ((await (await fetch(`${agent.cashierApiUrl}/v1/health`)).json()) as { mqtt?: string }).mqtt;
    const until = async (state: string): Promise<void> => {
      for (let i = 0; i < 400 && (await mqttState()) !== state; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await mqttState()).toBe(state);
    };
    try {
      await until("up");
      expect(await handshakes()).toEqual({ full: 1, resumed: 0 });
      await server?.kill9();
      await until("down");
      server = serverProcess("environment", 2);
      await server.start();
      await until("up");
      expect(await handshakes()).toEqual({ full: 0, resumed: 1 });
    } finally {
      await agent.stop();
    }
  });

  test("a resumed session keeps its certificate's identity: register A's session cannot log in as B", async () => {
    const a = await tryConnect({ clientId: A, username: A, password: password[A], ...(await certOf(A)) });
    expect(a.outcome).toBe("connected");
    const b = await tryConnect({ clientId: B, username: B, password: password[B], ...(await certOf(B)) });
    expect(b.outcome).toBe("connected");
    await endAll();
    const before = await handshakes();

    // B's own session resumes and logs in; A's session offered with B's credentials resumes too, but
    // the certificate it carries says A.
    const own = await tryConnect({ clientId: B, username: B, password: password[B], ...(await certOf(B)), session: b.session as Buffer });
    expect(own).toMatchObject({ outcome: "connected", resumed: true });
    const borrowed = await tryConnect({ clientId: B, username: B, password: password[B], ...(await certOf(B)), session: a.session as Buffer });
    expect(borrowed.outcome).not.toBe("connected");
    expect(await handshakes()).toEqual({ full: before.full, resumed: before.resumed + 2 });
    await endAll();
  });
});
