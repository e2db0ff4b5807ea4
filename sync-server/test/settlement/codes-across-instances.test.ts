/**
 * Codes are unique across server instances because the database says so, not because instances talk
 * to each other: two servers on one PostgreSQL draw from identical scripted digit sources, so both
 * first draw the same code. Whichever commits first keeps it; UNIQUE(payments.open_code) makes the
 * other's insert do nothing and it draws again. (Each server embeds its own broker here: how
 * requests reach an instance does not matter to the allocation.)
 */
import { afterAll, describe, expect, test } from "vitest";
import { createStore, enrollRegister, listPayments, silentLogger, startServer, type RunningServer } from "../../src/index.js";
import { dialectsUnderTest, createPostgresDatabase, stopPostgres } from "../helpers/postgres.js";
import { RegisterClient, newRequestId } from "../helpers/register-client.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const hasPostgres = dialectsUnderTest().includes("postgres");

/** 111111, then 222222, then 333333, ...: the same sequence on every server. */
function scriptedDigits(): () => number {
  let drawn = 0;
  return () => Math.floor(drawn++ / 6) + 1;
}

afterAll(() => stopPostgres());

describe.skipIf(!hasPostgres)("payment codes across two server instances (PostgreSQL)", () => {
  test("two instances drawing the same code at once end with two different codes", async () => {
    const dir = makeTempDir();
    process.env["DATABASE_URL"] = await createPostgresDatabase();
    const servers: RunningServer[] = [];
    const registers: RegisterClient[] = [];
    try {
      await createStore({ dataDir: dir.path, id: "codes-store", name: "Codes", currency: "JPY" });
      const enrolled = [
        await enrollRegister({ dataDir: dir.path, storeId: "codes-store", registerId: "codes-reg-1", name: "One" }),
        await enrollRegister({ dataDir: dir.path, storeId: "codes-store", registerId: "codes-reg-2", name: "Two" }),
      ];
      for (let index = 0; index < 2; index += 1) {
        servers.push(
          await startServer({
            dataDir: dir.path,
            ports: { mqtt: 0, shopperApi: 0, gateway: 0 },
            codeRandomDigits: 6,
            randomDigit: scriptedDigits(),
            logger: silentLogger(),
            httpRateLimits: "off",
          }),
        );
      }
      for (const [index, register] of enrolled.entries()) {
        registers.push(await RegisterClient.connect(servers[index]!.mqttUrl, "codes-store", register.registerId, register.password));
      }
      const replies = await Promise.all(
        registers.map((register, index) =>
          register.request({ type: "payment.create", requestId: newRequestId(), paymentId: `codes-payment-${index + 1}`, amount: { minor: 100, currency: "JPY" } }),
        ),
      );
      const codes = replies.map((reply) => (reply.type === "payment.issued" ? reply.code : `not issued: ${JSON.stringify(reply)}`));
      // One kept 111111 + check digit; the other collided with it in the database and drew 222222.
      expect(codes.map((code) => code.slice(0, 6)).sort()).toEqual(["111111", "222222"]);
      const open = (await listPayments({ dataDir: dir.path })).payments.filter((p) => p.state === "pending");
      expect(new Set(open.map((p) => p.code)).size).toBe(2);
    } finally {
      for (const register of registers) await register.close();
      for (const server of servers) await server.stop();
      delete process.env["DATABASE_URL"];
      dir.remove();
    }
  });
});
