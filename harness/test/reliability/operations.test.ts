/**
 * Operations: the server's GET /health and Prometheus GET /metrics (on its operator listener), the agent's GET /v1/health with
 * its outbox depth and devices, the systemd watchdog ping, and the units in docs/deploy.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, enrollRegister, fetchHealth, scrapeMetricsText, silentLogger, startServer, type RunningServer } from "@codepay/sync-server";
import { createLogger, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { startSystemdWatchdog } from "@codepay/systemd-watchdog";
import { pollUntil } from "../helpers/poll-until.js";

let dir: string;
let server: RunningServer;
let agent: RunningAgent;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "codepay-ops-"));
  const dataDir = join(dir, "data");
  await createStore({ dataDir, id: "ops-store", name: "Ops Store", currency: "JPY" });
  const { password } = await enrollRegister({ dataDir, storeId: "ops-store", registerId: "ops-reg", name: "Ops" });
  server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
  agent = await startAgent(
    {
      server: { url: server.mqttUrl, authentication: "password" },
      register: { storeId: "ops-store", registerId: "ops-reg", password },
      currency: "JPY",
      language: "en",
      storeName: "Ops Store",
      journalPath: join(dir, "journal.sqlite"),
      cashierApi: { host: "127.0.0.1", port: 0 },
      devices: {},
      receipt: { greetByName: false },
    },
    { logger: createLogger("silent") },
  );
});

afterAll(async () => {
  await agent?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("operations", () => {
  it("server GET /health reports the broker, connected registers, the database and the outbox depth", async () => {
    await pollUntil("the agent connected", async () => ((await fetchHealth(server.operatorUrl)).report as { mqtt: { connectedRegisters: number } }).mqtt.connectedRegisters === 1 || undefined);
    const { status, report } = await fetchHealth(server.operatorUrl);
    expect(status).toBe(200);
    // storage: the disk under the SQLite database ("low" below the free-space warning still answers 200).
    expect(report).toEqual({ status: "ok", mqtt: { broker: "up", connectedRegisters: 1 }, database: "up", storage: { state: expect.stringMatching(/^(ok|low)$/), freeBytes: expect.any(Number) }, outboxDepth: 0 });
  });

  it("server GET /metrics: payments by outcome, request latency, connected registers, outbox depth", async () => {
    const created = await fetch(`${agent.cashierApiUrl}/v1/payments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ amountMinor: 1200 }) });
    expect(created.status).toBe(201);
    const { payment } = (await created.json()) as { payment: { paymentId: string } };
    await pollUntil("the code issued", async () => ((await (await fetch(`${agent.cashierApiUrl}/v1/payments/${payment.paymentId}`)).json()) as { payment: { state: string } }).payment.state === "issued" || undefined);
    const text = await scrapeMetricsText(server.operatorUrl);
    expect(text).toContain('codepay_payments{state="pending"} 1');
    expect(text).toContain('codepay_register_requests_total{type="payment.create",outcome="payment.issued"} 1');
    expect(text).toMatch(/codepay_register_request_seconds_count\{type="payment.create"\} 1/);
    expect(text).toContain("codepay_connected_registers 1");
    expect(text).toContain("codepay_outbox_depth 0");
    expect(text).toContain("codepay_shopper_request_seconds");
    expect(text).toContain("codepay_database_up 1");
    expect(text).toContain('codepay_storage_state{state="full"} 0');
    expect(text).toMatch(/^codepay_storage_free_bytes \d+$/m);
  });

  it("agent GET /v1/health reports the line, each device and the outbox depth", async () => {
    const health = (await (await fetch(`${agent.cashierApiUrl}/v1/health`)).json()) as Record<string, unknown>;
    expect(health["mqtt"]).toBe("up");
    expect(health["devices"]).toEqual({ display: "absent", printer: "absent", cardReader: "absent" });
    expect(health["outboxDepth"]).toBe(0);
  });

  it("the watchdog pings systemd-notify with our pid while healthy, and not outside systemd", async () => {
    const bin = join(dir, "bin");
    const record = join(dir, "notify.log");
    const script = `#!/bin/sh\necho "$@" >> ${record}\n`;
    mkdirSync(bin);
    writeFileSync(join(bin, "systemd-notify"), script);
    chmodSync(join(bin, "systemd-notify"), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` };
    const outside = startSystemdWatchdog(() => true, { PATH: env.PATH });
    outside.stop();
    const originalPath = process.env["PATH"];
    process.env["PATH"] = env.PATH;
    try {
      const watchdog = startSystemdWatchdog(() => true, { ...env, NOTIFY_SOCKET: "/run/fake", WATCHDOG_USEC: "2000000" });
      await pollUntil("a watchdog ping", () => (existsSync(record) && readFileSync(record, "utf8").includes("WATCHDOG=1")) || undefined);
      watchdog.stop();
    } finally {
      process.env["PATH"] = originalPath;
    }
    const lines = readFileSync(record, "utf8").split("\n").filter((line) => line.includes("WATCHDOG=1"));
    expect(lines[0]).toBe(`--pid=${process.pid} WATCHDOG=1`);
  });

  it("the systemd units restart (the server always, the agent on failure: an unpaired register is skipped, not restarted), arm the watchdog and disable io_uring", () => {
    for (const [unit, restart] of [["codepay-server.service", "always"], ["codepay-agent.service", "on-failure"]] as const) {
      const text = readFileSync(join(import.meta.dirname, "../../../docs/deploy", unit), "utf8");
      expect(text).toMatch(new RegExp(`^Restart=${restart}$`, "m"));
      expect(text).toMatch(/^WatchdogSec=\d+$/m);
      expect(text).toMatch(/^NotifyAccess=all$/m);
      expect(text).toMatch(/^Environment=UV_USE_IO_URING=0$/m);
    }
  });
});
