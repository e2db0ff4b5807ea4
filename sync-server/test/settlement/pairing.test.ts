/**
 * Register enrollment by pairing code, and disabled registers. Real HTTP (shopper-API listener) and
 * real MQTT; SQLite and PostgreSQL.
 */
import { readFileSync } from "node:fs";
import mqtt from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pairRegister, setRegisterEnabled } from "../../src/admin/register-commands.js";
import { cardKeyPath } from "../../src/cards/card-key.js";
import { PAIRING_PATH, PairingResponseSchema } from "@codepay/contract";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

afterAll(stopPostgres);

for (const dialect of dialectsUnderTest()) {
  describe(`pairing and disabled registers (${dialect})`, () => {
    let t: TestServer;
    const logLines: string[] = [];

    beforeAll(async () => {
      const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
      t = await startTestServer({ dialect, extra: { logger } });
    });
    afterAll(() => t.stop());

    async function redeem(pairingCode: string): Promise<{ status: number; body: Record<string, unknown> }> {
      const response = await fetch(new URL(PAIRING_PATH, t.server.shopperApiUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pairingCode }) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    it("a pairing code gives the register its credentials and the card key, once", async () => {
      const paired = await pairRegister({ dataDir: t.dataDir, storeId: t.demo.storeId, registerId: "paired-reg", name: "Paired", now: t.now() });
      expect(paired.pairingCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      const first = await redeem(paired.pairingCode);
      expect(first.status).toBe(200);
      const answer = PairingResponseSchema.parse(first.body);
      expect(answer).toMatchObject({ storeId: t.demo.storeId, storeName: "Demo Store", registerId: "paired-reg", registerName: "Paired", currency: "JPY", mqttUrl: t.server.mqttUrl });
      expect(answer.cardKey).toBe(readFileSync(cardKeyPath(t.dataDir)).toString("hex"));
      const again = await redeem(paired.pairingCode);
      expect([again.status, (again.body["error"] as { code: string }).code]).toEqual([404, "PAIRING_CODE_INVALID"]);
      const register = await RegisterClient.connect(answer.mqttUrl, answer.storeId, answer.registerId, answer.password);
      expect(await register.request({ type: "report.request", kind: "x" })).toMatchObject({ type: "report", registerId: "paired-reg" });
      await register.close();
    });

    it("refuses unknown, malformed and expired codes", async () => {
      expect((await redeem("ZZZZ-ZZZZ")).status).toBe(404);
      expect((await redeem("nope")).status).toBe(404);
      const paired = await pairRegister({ dataDir: t.dataDir, storeId: t.demo.storeId, registerId: "late-reg", name: "Late", ttlMs: 60_000, now: t.now() });
      t.advance(60_000);
      expect((await redeem(paired.pairingCode)).body).toMatchObject({ error: { code: "PAIRING_CODE_INVALID" } });
    });

    it("a disabled register is refused at connect (REGISTER_DISABLED in the log); enabled again it connects", async () => {
      const connected = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      await setRegisterEnabled({ dataDir: t.dataDir, registerId: t.demo.registerId, enabled: false });
      // Disabled while connected: every request is refused.
      expect(await connected.request({ type: "report.request", kind: "x" })).toMatchObject({ type: "error", error: { code: "REGISTER_DISABLED" } });
      await connected.close();
      const refused = await mqtt
        .connectAsync(t.server.mqttUrl, { clientId: t.demo.registerId, username: t.demo.registerId, password: t.demo.password, reconnectPeriod: 0 })
        .then(
          async (client) => {
            await client.endAsync(true);
            return "connected";
          },
          (error: Error) => error.message,
        );
      expect(refused).toMatch(/Not authorized/i);
      expect(logLines.some((line) => line.includes("REGISTER_DISABLED") && line.includes(t.demo.registerId))).toBe(true);
      await setRegisterEnabled({ dataDir: t.dataDir, registerId: t.demo.registerId, enabled: true });
      const register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      await register.close();
    });
  });
}
