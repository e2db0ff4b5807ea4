/**
 * Issue 17, item 1: one customer at a time. Through the cashier API against the real sync-server
 * (aedes over loopback, SQLite): a second payment while one is open is refused with
 * PAYMENT_IN_PROGRESS naming the open one; `replace: true` cancels the open one first (its code no
 * longer pays: the phone's claim is refused) and then issues the new code.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeed, silentLogger, startServer, verify, type RunningServer } from "@codepay/sync-server";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { captureLogger } from "../helpers/capture-logger.js";
import { pollUntil } from "../helpers/poll-until.js";

let dataDir: string;
let server: RunningServer;
let agent: RunningAgent;
let credential: string;

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(new URL(route, agent.cashierApiUrl), { method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
}

async function codeOf(paymentId: string): Promise<string> {
  return pollUntil(`code for ${paymentId}`, async () => (await api("GET", `/v1/payments/${paymentId}`)).json.payment.code as string | undefined);
}

function phonePost(route: string, body: unknown): Promise<Response> {
  return fetch(new URL(route, server.gatewayUrl), { method: "POST", headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "codepay-one-open-"));
  server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger(), sweepIntervalMs: 100 });
  const seed = await demoSeed({ dataDir });
  credential = seed.subscriberCredential;
  const config = parseConfig({
    server: { url: server.mqttUrl },
    register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
    currency: "JPY",
    storeName: "Demo Store",
    journalPath: path.join(dataDir, "journal.sqlite"),
    cashierApi: { host: "127.0.0.1", port: 0 },
  });
  const { logger, text } = captureLogger();
  agent = await startAgent(config, { logger });
  await pollUntil("link up", () => text().includes("mqtt link up") || undefined);
});

afterAll(async () => {
  await agent?.stop();
  expect((await verify({ dataDir })).violations).toEqual([]);
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("one open payment per register (cashier API)", () => {
  it("refuses a second payment while one is open, naming it; a repeat of the open one is still answered", async () => {
    expect((await api("POST", "/v1/payments", { amountMinor: 300, paymentId: "open-300" })).status).toBe(201);
    const code300 = await codeOf("open-300");
    const second = await api("POST", "/v1/payments", { amountMinor: 400, paymentId: "open-400" });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe("PAYMENT_IN_PROGRESS");
    expect(second.json.error.message).toContain("open-300");
    expect(second.json.error.message).toContain(code300);
    expect((await api("GET", "/v1/payments/open-400")).status).toBe(404); // nothing stored
    const repeat = await api("POST", "/v1/payments", { amountMinor: 300, paymentId: "open-300" });
    expect([repeat.status, repeat.json.payment.paymentId]).toEqual([201, "open-300"]);
  });

  it("replace: true cancels the open payment first; its code no longer pays, the new one does", async () => {
    const code300 = await codeOf("open-300");
    const replaced = await api("POST", "/v1/payments", { amountMinor: 400, paymentId: "open-400", replace: true });
    expect(replaced.status).toBe(201);
    await pollUntil("300 cancelled", async () => (await api("GET", "/v1/payments/open-300")).json.payment.state === "cancelled" || undefined);
    const oldClaim = await phonePost("/api/v1/claims", { requestId: "claim-old-300", code: code300 });
    expect(oldClaim.status).not.toBe(200);
    const code400 = await codeOf("open-400");
    expect((await phonePost("/api/v1/claims", { requestId: "claim-400", code: code400 })).status).toBe(200);
    expect((await phonePost("/api/v1/payments/open-400/approve", { requestId: "approve-400" })).status).toBe(200);
    await pollUntil("400 approved", async () => (await api("GET", "/v1/payments/open-400")).json.payment.state === "approved" || undefined);
    // Settled: the register is free again without replace.
    expect((await api("POST", "/v1/payments", { amountMinor: 500, paymentId: "open-500" })).status).toBe(201);
    expect((await api("POST", "/v1/payments/open-500/cancel")).status).toBe(200);
    // The cancel is journaled and sent; "cancelled" is the server's answer, which may come a moment later.
    await pollUntil("500 cancelled", async () => (await api("GET", "/v1/payments/open-500")).json.payment.state === "cancelled" || undefined);
    expect((await api("POST", "/v1/payments", { amountMinor: 600, paymentId: "open-600" })).status).toBe(201);
  });

  it("lists the register's payments from the journal: newest first, paged, filtered by state and date (item 5)", async () => {
    const all = await api("GET", "/v1/payments");
    expect(all.status).toBe(200);
    expect(all.json.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual(["open-600", "open-500", "open-400", "open-300"]);
    const first = await api("GET", "/v1/payments?limit=2");
    expect(first.json.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual(["open-600", "open-500"]);
    const second = await api("GET", `/v1/payments?limit=2&before=${first.json.next}`);
    expect(second.json.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual(["open-400", "open-300"]);
    expect(second.json.next).toBeUndefined();
    const cancelled = await api("GET", "/v1/payments?state=cancelled");
    expect(cancelled.json.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual(["open-500", "open-300"]);
    expect((await api("GET", "/v1/payments?state=approved")).json.payments).toMatchObject([{ paymentId: "open-400", state: "approved", amount: { minor: 400 } }]);
    expect((await api("GET", `/v1/payments?from=${Date.now() + 60_000}`)).json.payments).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await api("GET", `/v1/payments?from=${today}`)).json.payments).toHaveLength(4);
    for (const bad of ["state=paid", "limit=0", "limit=101", "before=nonsense", "color=red"]) {
      const refused = await api("GET", `/v1/payments?${bad}`);
      expect([bad, refused.status, refused.json.error.code]).toEqual([bad, 400, "BAD_REQUEST"]);
    }
  });
});
