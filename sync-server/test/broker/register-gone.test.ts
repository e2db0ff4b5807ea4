/**
 * A register that an operator disabled, or whose row is gone, after it connected: each request gets a
 * clear code (REGISTER_DISABLED, UNKNOWN_REGISTER, never INTERNAL), nothing changes, the server closes
 * that connection after the reply, and keeps serving the other registers. Real aedes over TCP, real
 * mqtt.js registers; SQLite and PostgreSQL.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollRegister } from "../../src/index.js";
import { setRegisterEnabled } from "../../src/admin/register-commands.js";
import { withDatabase } from "../../src/admin/admin-commands.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

afterAll(stopPostgres);

/** Resolves when the broker closes the client's connection (mqtt.js emits "close"). */
function closedByServer(register: RegisterClient): Promise<void> {
  return new Promise((resolve) => register.client.once("close", () => resolve()));
}

async function countPayments(dataDir: string, registerId: string): Promise<number> {
  return withDatabase(dataDir, async (db) => {
    const rows = await db.selectFrom("payments").select("payment_id").where("register_id", "=", registerId).execute();
    return rows.length;
  });
}

for (const dialect of dialectsUnderTest()) {
  describe(`a register gone after it connected (${dialect})`, () => {
    let t: TestServer;

    beforeAll(async () => {
      t = await startTestServer({ dialect });
    });
    afterAll(() => t.stop());

    async function connectNew(registerId: string): Promise<RegisterClient> {
      const enrolled = await enrollRegister({ dataDir: t.dataDir, storeId: t.demo.storeId, registerId, name: registerId });
      return RegisterClient.connect(t.server.mqttUrl, enrolled.storeId, enrolled.registerId, enrolled.password);
    }

    function create(register: RegisterClient): Promise<unknown> {
      return register.request({ type: "payment.create", paymentId: randomUUID(), amount: { minor: 500, currency: "JPY" } });
    }

    it("row deleted: UNKNOWN_REGISTER (not INTERNAL), no payment, connection closed", async () => {
      const register = await connectNew("gone-reg");
      await withDatabase(t.dataDir, (db) => db.deleteFrom("registers").where("id", "=", "gone-reg").execute());
      const closed = closedByServer(register);
      expect(await create(register)).toMatchObject({ type: "error", error: { code: "UNKNOWN_REGISTER" } });
      await closed;
      expect(await countPayments(t.dataDir, "gone-reg")).toBe(0);
      await register.close();
    });

    it("disabled while connected: REGISTER_DISABLED for a payment.create, connection closed", async () => {
      const register = await connectNew("disabled-reg");
      await setRegisterEnabled({ dataDir: t.dataDir, registerId: "disabled-reg", enabled: false });
      const closed = closedByServer(register);
      expect(await create(register)).toMatchObject({ type: "error", error: { code: "REGISTER_DISABLED" } });
      await closed;
      expect(await countPayments(t.dataDir, "disabled-reg")).toBe(0);
      await register.close();
    });

    it("disabled after its row was cached by the engine: refused at the very next request (PRAGMA data_version)", async () => {
      const register = await connectNew("cached-reg");
      expect(await create(register)).toMatchObject({ type: "payment.issued" });
      await register.cancelOpenPayments(); // one open payment per register
      expect(await create(register)).toMatchObject({ type: "payment.issued" });
      // `admin register disable` in its own connection, as from another process.
      await setRegisterEnabled({ dataDir: t.dataDir, registerId: "cached-reg", enabled: false });
      const closed = closedByServer(register);
      expect(await create(register)).toMatchObject({ type: "error", error: { code: "REGISTER_DISABLED" } });
      await closed;
      expect(await countPayments(t.dataDir, "cached-reg")).toBe(2);
      await register.close();
    });

    it("the other registers keep working", async () => {
      const register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      expect(await create(register)).toMatchObject({ type: "payment.issued" });
      await register.close();
    });
  });
}
