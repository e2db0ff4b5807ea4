/**
 * Issue 23: register rows hashed with scrypt before the keyed hash still log in (real aedes over TCP,
 * real mqtt.js) and are rewritten in the keyed form in the database at that login, so no register
 * is enrolled again; a wrong password is refused against both forms and changes nothing; a server
 * whose data directory lost the register key refuses to start instead of refusing every register.
 */
import { renameSync } from "node:fs";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword, newPassword } from "../../src/auth/password-hash.js";
import { registerKeyPath } from "../../src/auth/register-key.js";
import { checkRegisterPassword, hashRegisterPassword, registerKeyIdOf } from "../../src/auth/register-password.js";
import { loadOrCreateRegisterKey } from "../../src/auth/register-key.js";
import { openDatabase, type Db } from "../../src/db/database.js";
import { enrollRegister, scrapeMetricsText, silentLogger, startServer } from "../../src/index.js";
import { tryLogin } from "../helpers/mqtt-login.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

describe("old scrypt register rows log in and are rehashed (real aedes, mqtt.js over TCP)", () => {
  let t: TestServer;
  let db: Db;
  const clients: mqtt.MqttClient[] = [];
  const lane2 = { registerId: "lane-2", password: "" };

  beforeAll(async () => {
    t = await startTestServer();
    lane2.password = (await enrollRegister({ dataDir: t.dataDir, storeId: t.demo.storeId, registerId: lane2.registerId, name: "Lane 2" })).password;
    db = await openDatabase(t.dataDir);
    // Both registers as an older release stored them: scrypt at the production cost (N=16384).
    for (const { registerId, password } of [{ registerId: t.demo.registerId, password: t.demo.password }, lane2]) {
      await db.updateTable("registers").set({ password_hash: await hashPassword(password) }).where("id", "=", registerId).execute();
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
    await db.destroy();
    await t.stop();
  });

  const storedHash = async (registerId: string) => (await db.selectFrom("registers").select("password_hash").where("id", "=", registerId).executeTakeFirstOrThrow()).password_hash;

  const login = (username: string, password: string): Promise<string> => tryLogin(t.server.mqttUrl, username, password, clients);

  it("a wrong password against a scrypt row is refused and the row stays as it was", async () => {
    const before = await storedHash(lane2.registerId);
    expect(before).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await login(lane2.registerId, newPassword())).toMatch(/^refused: .*Bad username or password/i);
    expect(await storedHash(lane2.registerId)).toBe(before);
  });

  it("the right password logs in, and the row is now the keyed hash of that password under the data directory's key", async () => {
    expect(await storedHash(t.demo.registerId)).toMatch(/^scrypt\$/);
    expect(await login(t.demo.registerId, t.demo.password)).toBe("connected");
    const after = await storedHash(t.demo.registerId);
    const key = loadOrCreateRegisterKey(t.dataDir);
    expect(registerKeyIdOf(after)).toBe(key.id);
    expect(after).toBe(hashRegisterPassword(key, t.demo.password));
    expect(await checkRegisterPassword(key, t.demo.password, after)).toEqual({ ok: true, rehash: false });
    const metrics = await scrapeMetricsText(t.server.operatorUrl);
    expect(metrics).toMatch(/^codepay_register_passwords_rehashed_total 1$/m);
  });

  it("it logs in again against the keyed row; a wrong password against the keyed row is refused and changes nothing", async () => {
    const keyed = await storedHash(t.demo.registerId);
    expect(await login(t.demo.registerId, t.demo.password)).toBe("connected");
    expect(await login(t.demo.registerId, newPassword())).toMatch(/^refused: .*Bad username or password/i);
    expect(await login(t.demo.registerId, "")).toMatch(/^refused: /);
    expect(await storedHash(t.demo.registerId)).toBe(keyed);
  });

  it("a server whose data directory lost register-key refuses to start while keyed rows exist", async () => {
    const path = registerKeyPath(t.dataDir);
    renameSync(path, `${path}.away`);
    try {
      await expect(
        startServer({ dataDir: t.dataDir, host: "127.0.0.1", ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger(), mqttLoginThrottle: "off", httpRateLimits: "off" }),
      ).rejects.toThrow(/register-key is missing, but 1 register password\(s\) in the database are keyed/);
    } finally {
      renameSync(`${path}.away`, path);
    }
  });
});
