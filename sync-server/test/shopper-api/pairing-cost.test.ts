/**
 * A wrong pairing code costs no slow hash: the route checks the code (read only) before it hashes
 * the new password. The hashing is injected so the test counts the calls; the route runs on a real
 * fastify instance (inject) over a real SQLite database.
 */
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pairRegister } from "../../src/admin/register-commands.js";
import { demoSeed, silentLogger } from "../../src/index.js";
import { openDatabase, type Db } from "../../src/parts.js";
import { registerPairingRoute } from "../../src/pairing/pairing-route.js";
import { PAIRING_PATH } from "@codepay/contract";
import { openRegisterKey } from "../../src/auth/register-key.js";
import type { ShopperApp } from "../../src/shopper-api/app.js";
import { makeTempDir } from "../helpers/temp-dir.js";

describe("pairing: the code is checked before the password is hashed", () => {
  const dir = makeTempDir();
  let db: Db;
  const app = Fastify();
  let hashes = 0;
  const now = Date.UTC(2030, 0, 1);

  beforeAll(async () => {
    delete process.env["DATABASE_URL"];
    await demoSeed({ dataDir: dir.path });
    db = await openDatabase(dir.path);
    registerPairingRoute(app as unknown as ShopperApp, {
      db,
      clock: () => now,
      logger: silentLogger(),
      dataDir: dir.path,
      registerKey: (await openRegisterKey(db, dir.path)).key,
      mqttUrl: () => "mqtt://127.0.0.1:1883",
      hashCredentials: async (password) => {
        hashes += 1;
        return { passwordHash: `test-hash-${password.length}`, brokerPasswordHash: "test-broker-hash" };
      },
    });
  });
  afterAll(async () => {
    await app.close();
    await db.destroy();
    dir.remove();
  });

  const redeem = (pairingCode: string) => app.inject({ method: "POST", url: PAIRING_PATH, payload: { pairingCode } });

  it("unknown, used and expired codes: 404 and no hash; a good code: one hash, paired", async () => {
    expect((await redeem("NOPE-NOPE")).statusCode).toBe(404);
    const expired = await pairRegister({ dataDir: dir.path, storeId: "demo-store", registerId: "expired-reg", name: "Expired", ttlMs: 1_000, now: now - 2_000 });
    expect((await redeem(expired.pairingCode)).statusCode).toBe(404);
    expect(hashes).toBe(0);
    const good = await pairRegister({ dataDir: dir.path, storeId: "demo-store", registerId: "good-reg", name: "Good", now });
    const paired = await redeem(good.pairingCode);
    expect([paired.statusCode, paired.json().registerId]).toEqual([200, "good-reg"]);
    expect(hashes).toBe(1);
    expect((await redeem(good.pairingCode)).statusCode).toBe(404); // used
    expect(hashes).toBe(1);
  });
});
