/**
 * Void, refund and X/Z report through the cashier API, against the real sync-server in-process
 * (aedes over loopback, SQLite): each request is journaled, sent through the outbox and answered
 * when the server replies. The report's printing is checked with a printer that records raw jobs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeed, silentLogger, startServer, verify, type RunningServer } from "@codepay/sync-server";
import { PROTOCOL_VERSION, type RegisterRequest, type Report } from "@codepay/contract";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { Journal, PaymentRuntime, buildReportReceipt } from "@codepay/terminal-agent/parts";
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

/** The phone's part: claim the code shown for the payment and approve it, through the gateway. */
async function approveAsPhone(paymentId: string): Promise<void> {
  let code: string | undefined;
  for (let i = 0; i < 200 && code === undefined; i += 1) {
    code = (await api("GET", `/v1/payments/${paymentId}`)).json.payment.code;
    if (code === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const post = (route: string, body: unknown) =>
    fetch(new URL(route, server.gatewayUrl), { method: "POST", headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect((await post("/api/v1/claims", { requestId: `claim-${paymentId}`, code })).status).toBe(200);
  expect((await post(`/api/v1/payments/${paymentId}/approve`, { requestId: `approve-${paymentId}` })).status).toBe(200);
  for (let i = 0; i < 200; i += 1) {
    if ((await api("GET", `/v1/payments/${paymentId}`)).json.payment.state === "approved") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`payment ${paymentId} not approved at the agent`);
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "codepay-agent-ledger-"));
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

describe("cashier API: void, refund, reports", () => {
  it("refunds in parts with the POS's refund id, refuses more than the original, then voids the rest", async () => {
    const created = await api("POST", "/v1/payments", { amountMinor: 1_000, paymentId: "agent-refund-1" });
    expect(created.status).toBe(201);
    await approveAsPhone("agent-refund-1");
    const first = await api("POST", "/v1/payments/agent-refund-1/refunds", { refundId: "refund-0001", amountMinor: 400 });
    expect(first.status).toBe(201);
    expect(first.json.refund).toMatchObject({ refundId: "refund-0001", amountMinor: 400, state: "done" });
    expect(first.json.payment).toMatchObject({ state: "approved", refundedMinor: 400 });
    const retry = await api("POST", "/v1/payments/agent-refund-1/refunds", { refundId: "refund-0001", amountMinor: 400 });
    expect([retry.status, retry.json.payment.refundedMinor]).toEqual([201, 400]);
    const tooMuch = await api("POST", "/v1/payments/agent-refund-1/refunds", { amountMinor: 601 });
    expect([tooMuch.status, tooMuch.json.error.code]).toEqual([409, "REFUND_EXCEEDS_ORIGINAL"]);
    const voided = await api("POST", "/v1/payments/agent-refund-1/void");
    expect([voided.status, voided.json.payment.state]).toEqual([200, "voided"]);
    const refundAfterVoid = await api("POST", "/v1/payments/agent-refund-1/refunds", { amountMinor: 1 });
    expect([refundAfterVoid.status, refundAfterVoid.json.error.code]).toEqual([409, "VOID_NOT_ALLOWED"]);
  });

  it("X and Z reports come back from the server; a Z with the same requestId is the same Z; a closed period takes no void", async () => {
    await api("POST", "/v1/payments", { amountMinor: 500, paymentId: "agent-void-after-z" });
    await approveAsPhone("agent-void-after-z");
    const x = await api("POST", "/v1/reports/x");
    expect(x.status).toBe(200);
    expect(x.json.report).toMatchObject({ kind: "x", periodNumber: 1, totals: [{ currency: "JPY", tender: "code", payments: { count: 2, minor: 1_500 }, voids: { count: 1, minor: 600 }, refunds: { count: 1, minor: 400 }, netMinor: 500 }] });
    expect(x.json.printed).toBe(false); // no printer configured
    const z = await api("POST", "/v1/reports/z", { requestId: "z-report-0001" });
    expect(z.json.report).toMatchObject({ kind: "z", periodNumber: 1, requestId: "z-report-0001" });
    expect(await api("POST", "/v1/reports/z", { requestId: "z-report-0001" })).toEqual(z);
    const voided = await api("POST", "/v1/payments/agent-void-after-z/void");
    expect([voided.status, voided.json.error.code]).toEqual([409, "PERIOD_CLOSED"]);
    const nextX = await api("POST", "/v1/reports/x");
    expect(nextX.json.report).toMatchObject({ periodNumber: 2, totals: [] });
  });
});

describe("report printing", () => {
  const report: Report = {
    v: PROTOCOL_VERSION,
    type: "report",
    inReplyTo: "z-request-0001",
    kind: "z",
    registerId: "reg-1",
    storeId: "shop",
    periodNumber: 7,
    openedAt: Date.UTC(2030, 0, 1, 9, 0),
    closedAt: Date.UTC(2030, 0, 1, 18, 30),
    totals: [{ currency: "EUR", tender: "card", payments: { count: 3, minor: 12_345 }, voids: { count: 1, minor: 345 }, refunds: { count: 0, minor: 0 }, netMinor: 12_000 }],
  };

  it("prints the register's name instead of its id when the config has it", () => {
    const text = buildReportReceipt(report, "Shop", 42, "Front till").toString("latin1");
    expect(text).toContain("REGISTER Front till");
    expect(text).not.toContain("REGISTER reg-1");
  });

  it("builds ESC/POS text with the period, per-tender counts and amounts, and a cut", () => {
    const text = buildReportReceipt(report, "Shop").toString("latin1");
    for (const expected of ["Shop", "Z REPORT", "REGISTER reg-1", "PERIOD 7", "2030-01-01 18:30 UTC", "EUR CARD", "PAYMENTS 3", "123.45", "VOIDS 1", "-3.45", "NET", "120.00", "PERIOD CLOSED"]) {
      expect(text).toContain(expected);
    }
    expect(text).toContain("\x1dV"); // GS V: cut
  });

  it("the runtime prints a report the server sends through the printer's raw path, once, and journals it", async () => {
    const journal = Journal.open(":memory:");
    const jobs: { bytes: Buffer; jobId: string }[] = [];
    const printer = {
      status: "online",
      start() {},
      stop: async () => {},
      print: async () => {},
      kickDrawer: async () => {},
      printRaw: async (bytes: Buffer, jobId: string) => void jobs.push({ bytes, jobId }),
    };
    const sent: RegisterRequest[] = [];
    const runtime = new PaymentRuntime({
      journal,
      link: { isUp: true, requestTopic: "codepay/v1/shop/reg-1/up", publish: async (request) => void sent.push(request) },
      clock: { now: () => 1 },
      logger: silentLogger(),
      printer: printer as never,
      storeName: "Shop",
      registerId: "reg-1",
      onScreenChange: () => undefined,
    });
    const pending = runtime.requestReport("z", "z-request-0001");
    expect(sent).toMatchObject([{ type: "report.request", kind: "z", requestId: "z-request-0001" }]);
    expect(journal.unansweredRequests(10, 10)).toMatchObject([{ requestId: "z-request-0001", paymentId: null, type: "report.request" }]);
    runtime.handleServerMessage(report);
    expect(await pending).toEqual({ ok: true, report, printed: true });
    expect(jobs.map((j) => j.jobId)).toEqual(["report-z-request-0001"]);
    expect(jobs[0]?.bytes.toString("latin1")).toContain("Z REPORT");
    expect(journal.unansweredRequests(10, 10)).toEqual([]);
    // Asking again with the same requestId: the stored report, not a second print.
    expect(await runtime.requestReport("z", "z-request-0001")).toEqual({ ok: true, report, printed: true });
    expect(jobs).toHaveLength(1);
    journal.close();
  });
});

describe("journal schema 1 -> 2", () => {
  it("keeps payments and outbox rows, makes outbox.payment_id nullable, adds refunds", async () => {
    const Database = (await import("better-sqlite3")).default;
    const dir = mkdtempSync(path.join(tmpdir(), "codepay-journal-v1-"));
    const file = path.join(dir, "journal.sqlite");
    const old = new Database(file);
    old.exec(`
      CREATE TABLE payments (payment_id TEXT PRIMARY KEY, state TEXT NOT NULL, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, lines TEXT NOT NULL,
        create_request_id TEXT NOT NULL, code TEXT, expires_at INTEGER, reason TEXT, reference TEXT, receipt_printed INTEGER NOT NULL DEFAULT 0,
        cancel_requested INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL);
      CREATE TABLE outbox (request_id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, type TEXT NOT NULL, topic TEXT NOT NULL, payload TEXT NOT NULL,
        created INTEGER NOT NULL, sent_at INTEGER, send_count INTEGER NOT NULL DEFAULT 0, acked_at INTEGER);
      INSERT INTO payments VALUES ('old-payment-1', 'approved', 100, 'JPY', '[]', 'req-00000001', NULL, NULL, NULL, 'ref', 1, 0, 1, 2);
      INSERT INTO outbox VALUES ('req-00000001', 'old-payment-1', 'payment.create', 't', '{}', 1, 1, 1, NULL);
      PRAGMA user_version = 1;
    `);
    old.close();
    const journal = Journal.open(file);
    expect(journal.getPayment("old-payment-1")).toMatchObject({ state: "approved", refunds: [] });
    expect(journal.outboxEntry("req-00000001")).toMatchObject({ paymentId: "old-payment-1" });
    journal.queueReportRequest({ v: PROTOCOL_VERSION, type: "report.request", requestId: "report-00000001", kind: "x" }, "t", 5);
    expect(journal.outboxEntry("report-00000001")).toMatchObject({ paymentId: null, type: "report.request" });
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
