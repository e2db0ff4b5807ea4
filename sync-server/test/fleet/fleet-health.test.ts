/**
 * Fleet health (issue 20) on the server: a register's presence on its status topic (online with its
 * agent's version and devices, again when a device changes, its last will when it drops) is kept in
 * the database, listed by `listRegisters` (admin registers) and counted in /metrics with bounded
 * labels; malformed presence changes nothing. The embedded broker starting again means every
 * connection is gone: nobody is online until it says so. Real mqtt.js over TCP; SQLite and PostgreSQL.
 */
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusTopic, type Presence } from "@codepay/contract";
import { listRegisters, metricValue, scrapeMetricsText, silentLogger, startServer } from "../../src/index.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

afterAll(stopPostgres);

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const dialect of dialectsUnderTest()) {
  describe(`fleet health (${dialect})`, () => {
    let t: TestServer;
    let client: MqttClient;
    const offline: Presence = { v: 1, type: "presence", state: "offline" };

    const health = async () => (await listRegisters({ dataDir: t.dataDir })).registers.find((r) => r.registerId === t.demo.registerId)!;
    const metric = async (name: string, labels: Record<string, string>) =>
      metricValue(await scrapeMetricsText(t.server.operatorUrl), `${name}{${Object.entries(labels).map(([key, value]) => `${key}="${value}"`).join(",")}}`);
    const report = (presence: Presence) => client.publishAsync(statusTopic(t.demo.storeId, t.demo.registerId), JSON.stringify(presence), { qos: 1, retain: true });

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      client = await mqtt.connectAsync(t.server.mqttUrl, {
        clientId: t.demo.registerId,
        username: t.demo.registerId,
        password: t.demo.password,
        reconnectPeriod: 0,
        will: { topic: statusTopic(t.demo.storeId, t.demo.registerId), payload: Buffer.from(JSON.stringify(offline)), qos: 1, retain: true },
      });
    });
    afterAll(async () => {
      client?.end(true);
      await t.stop();
    });

    it("a register never heard of is unknown; online with its version and devices once it reports", async () => {
      expect(await health()).toMatchObject({ presence: "unknown", lastSeenAt: null, agentVersion: null, devices: {} });
      await report({ v: 1, type: "presence", state: "online", at: 1, agentVersion: "0.1.0", devices: { display: "online", printer: "paper-near-end" } });
      const online = await until("online", async () => ((await health()).presence === "online" ? health() : undefined));
      expect(online).toMatchObject({ agentVersion: "0.1.0", devices: { display: "online", printer: "paper-near-end" }, lastSeenAt: t.now() });
      expect(await metric("codepay_registers", { presence: "online" })).toBe(1);
      expect(await metric("codepay_register_devices", { device: "printer", state: "paper-near-end" })).toBe(1);
      expect(await metric("codepay_register_devices", { device: "printer", state: "paper-end" })).toBe(0);
    });

    it("a device change is reported again; malformed presence changes nothing", async () => {
      await client.publishAsync(statusTopic(t.demo.storeId, t.demo.registerId), JSON.stringify({ v: 1, type: "presence", state: "online", devices: { printer: "on-fire" } }), { qos: 1 });
      await client.publishAsync(statusTopic(t.demo.storeId, t.demo.registerId), "not json", { qos: 1 });
      await report({ v: 1, type: "presence", state: "online", at: 2, agentVersion: "0.1.0", devices: { display: "online", printer: "paper-end" } });
      await until("paper end", async () => ((await health()).devices.printer === "paper-end" ? true : undefined));
      expect((await health()).devices).toEqual({ display: "online", printer: "paper-end" });
      expect(await metric("codepay_register_devices", { device: "printer", state: "paper-end" })).toBe(1);
    });

    it("a register that drops is offline by its last will, keeping the version and devices it last reported", async () => {
      t.advance(5_000);
      (client.stream as { destroy: () => void }).destroy(); // no DISCONNECT: the broker publishes the will
      const gone = await until("offline", async () => ((await health()).presence === "offline" ? health() : undefined));
      expect(gone).toMatchObject({ agentVersion: "0.1.0", devices: { printer: "paper-end" }, lastSeenAt: t.now() });
      expect(await metric("codepay_registers", { presence: "offline" })).toBe(1);
      expect(await metric("codepay_registers", { presence: "online" })).toBe(0);
    });

    it("the embedded broker starting again: every register is offline until it reports", async () => {
      client = await mqtt.connectAsync(t.server.mqttUrl, { clientId: t.demo.registerId, username: t.demo.registerId, password: t.demo.password, reconnectPeriod: 0 });
      await report({ v: 1, type: "presence", state: "online", at: 4, agentVersion: "0.2.0" });
      await until("online again", async () => ((await health()).agentVersion === "0.2.0" ? true : undefined));
      // The server stops under a connected register (a crash would leave the same row): it still reads online.
      await t.server.stop();
      client.end(true);
      expect((await health()).presence).toBe("online");
      const again = await startServer({ dataDir: t.dataDir, host: "127.0.0.1", ports: { mqtt: 0, shopperApi: 0, gateway: 0, operator: 0 }, logger: silentLogger() });
      try {
        expect(await health()).toMatchObject({ presence: "offline", agentVersion: "0.2.0" });
      } finally {
        await again.stop();
      }
    });
  });
}
