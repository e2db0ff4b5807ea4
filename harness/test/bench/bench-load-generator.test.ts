/**
 * The payments bench's register and phone (bench/lean-register.ts, bench/lean-phone.ts) against a real
 * server: they must do what real registers and phones do, however cheap. A register logs in with its
 * own credentials, creates over MQTT QoS 1 with its own requestId and gets the code; the phone claims
 * through the carrier gateway (the claim shows store and amount) and approves; the register gets the
 * pushed result and acknowledges it (the server records the acknowledgement). Refusals surface as errors.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeed, silentLogger, startServer, type DemoSeedOutput, type RunningServer } from "@codepay/sync-server";
import { LeanPhone } from "../../src/bench/lean-phone.js";
import { LeanRegister } from "../../src/bench/lean-register.js";

let dataDir: string;
let server: RunningServer;
let seed: DemoSeedOutput;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "codepay-bench-generator-"));
  server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
  seed = await demoSeed({ dataDir });
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function register(password = seed.password): LeanRegister {
  const broker = new URL(server.mqttUrl);
  return new LeanRegister({ host: broker.hostname, port: Number(broker.port), storeId: seed.storeId, registerId: seed.registerId, password });
}

/** The server's record of whether the register acknowledged a pushed result (read from its SQLite file). */
function ackedAt(paymentId: string): number | null | undefined {
  const sqlite = new BetterSqlite3(join(dataDir, "codepay.sqlite"), { readonly: true });
  try {
    return (sqlite.prepare("select acked_at from outbox where payment_id = ?").get(paymentId) as { acked_at: number | null } | undefined)?.acked_at;
  } finally {
    sqlite.close();
  }
}

/** A connected register and a phone for the demo shopper, closed after `use`. */
async function withRegisterAndPhone(use: (lane: LeanRegister, phone: LeanPhone) => Promise<void>): Promise<void> {
  const lane = register();
  await lane.connect();
  const phone = new LeanPhone({ gatewayUrl: server.gatewayUrl, subscriberCredential: seed.subscriberCredential });
  try {
    await use(lane, phone);
  } finally {
    phone.stop();
    await lane.stop();
  }
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe("the payments bench's register and phone against a real server", () => {
  it("pay one payment end to end: code, claim with store and amount, approval, pushed result, acknowledgement", () =>
    withRegisterAndPhone(async (lane, phone) => {
      const issued = await lane.create("bench-test-0001", 1_200, "JPY");
      expect(issued.paymentId).toBe("bench-test-0001");
      expect(issued.code).toMatch(/^\d{4,12}$/);
      const result = lane.result("bench-test-0001");
      const claim = await phone.claim(issued.code);
      expect(claim).toMatchObject({ paymentId: "bench-test-0001", amountMinor: 1_200, currency: "JPY" });
      expect(claim.storeName.length).toBeGreaterThan(0);
      expect(await phone.approve("bench-test-0001")).toEqual({ paymentId: "bench-test-0001", state: "approved" });
      expect(await result).toEqual({ paymentId: "bench-test-0001", state: "approved" });
      await until(() => typeof ackedAt("bench-test-0001") === "number");
      await until(() => lane.unacknowledgedPublishes === 0);
      expect(lane.malformedMessages).toBe(0);
    }));

  it("a second payment on the same connections reuses them (keep-alive) and the server's refusals are errors", () =>
    withRegisterAndPhone(async (lane, phone) => {
      const issued = await lane.create("bench-test-0002", 500, "JPY");
      // The same paymentId with another amount: the server refuses it, the register says why.
      await expect(lane.create("bench-test-0002", 900, "JPY")).rejects.toThrow(/^[A-Z_]+: /);
      await expect(phone.claim("0000000")).rejects.toThrow(/HTTP 4\d\d [A-Z_]+: /);
      const claim = await phone.claim(issued.code);
      expect(claim.amountMinor).toBe(500);
      await phone.approve("bench-test-0002");
      expect((await lane.result("bench-test-0002")).state).toBe("approved");
    }));

  it("a register with the wrong password is refused at login", async () => {
    await expect(register("wrong-password-0000").connect()).rejects.toThrow(/CONNACK refused/);
  });

  it("a phone with an unknown subscriber credential is refused by the gateway", async () => {
    const phone = new LeanPhone({ gatewayUrl: server.gatewayUrl, subscriberCredential: "unknown-credential-0000" });
    try {
      await expect(phone.claim("1234567")).rejects.toThrow(/HTTP 40\d SUBSCRIBER_UNKNOWN/);
    } finally {
      phone.stop();
    }
  });
});
