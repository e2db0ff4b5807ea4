import http from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import type { CreatePayment, ResultAck } from "@codepay/contract";
import { parseConfig, startAgent } from "../src/index.js";
import type { AgentConfig, RunningAgent } from "../src/index.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { decodeDisplay } from "./helpers/display-decoder.js";
import { mockSerial, waitFor } from "./helpers/mock-serial.js";
import { ISSUED_CODE, startStandInServer } from "./helpers/stand-in-server.js";
import type { StandInServer } from "./helpers/stand-in-server.js";

const STORE = "demo-store";
let server: StandInServer | undefined;
let agent: RunningAgent | undefined;
let serial: ReturnType<typeof mockSerial>;

beforeEach(() => {
  serial = mockSerial();
  serial.createPort("/dev/ttyDISPLAY");
  serial.createPort("/dev/ttyPRINTER");
});

afterEach(async () => {
  await agent?.stop();
  await server?.close();
  agent = undefined;
  server = undefined;
  SerialPortMock.binding.reset();
});

function agentConfig(url: string, registerId: string, journalPath = path.join(mkdtempSync(path.join(tmpdir(), "codepay-agent-")), "journal.sqlite")): AgentConfig {
  return parseConfig({
    server: { url },
    register: { storeId: STORE, registerId, password: "register-password" },
    currency: "JPY",
    storeName: "Demo Store",
    journalPath,
    cashierApi: { host: "127.0.0.1", port: 0 },
    devices: {
      display: { path: "/dev/ttyDISPLAY", baudRate: 9600 },
      // SerialPortMock never answers status requests: count a receipt printed once drained.
      printer: { path: "/dev/ttyPRINTER", baudRate: 19200, drawer: true, statusBack: false },
    },
  });
}

async function api(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(new URL(route, base), { method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
}

/** Collects the raw text of GET /v1/events. */
function openEvents(base: string): { text: () => string; close: () => void } {
  let text = "";
  const request = http.get(new URL("/v1/events", base), (response) => response.on("data", (chunk: Buffer) => (text += chunk.toString())));
  request.on("error", () => undefined);
  return { text: () => text, close: () => request.destroy() };
}

const displayScreens = () => decodeDisplay(serial.last("/dev/ttyDISPLAY").recording).screens;

describe("agent end to end with a stand-in server", () => {
  it("journals, shows the code, prints the receipt, acknowledges the result, and survives a malformed message", async () => {
    server = await startStandInServer();
    const config = agentConfig(server.url, "reg-e2e");
    const { logger, text: logs } = captureLogger();
    agent = await startAgent(config, { binding: serial.binding, logger });
    const base = agent.cashierApiUrl;
    await waitFor(() => logs().includes("mqtt link up") || undefined, "link up");
    expect((await api(base, "GET", "/v1/health")).json).toEqual({ mqtt: "up", devices: { display: "online", printer: "online", cardReader: "absent" }, faults: [], outboxDepth: 0 });

    await server.send(STORE, "reg-e2e", "this is not json");
    await server.send(STORE, "reg-e2e", JSON.stringify({ v: 1, type: "payment.issued", paymentId: "x" }));
    await waitFor(() => (logs().match(/malformed message from server ignored/g)?.length ?? 0) >= 2 || undefined, "malformed messages logged");

    const events = openEvents(base);
    const created = await api(base, "POST", "/v1/payments", { amountMinor: 1200, paymentId: "pay-e2e-0001", lines: [{ text: "Coffee", amountMinor: 1200 }] });
    expect(created.status).toBe(201);
    expect(created.json.payment).toMatchObject({ paymentId: "pay-e2e-0001", amount: { minor: 1200, currency: "JPY" }, receiptPrinted: false });
    // aedes PUBACKs before subscribers see a message, so the stand-in may hear it a moment after the 201
    const create = await waitFor(() => server!.requests.find((request): request is CreatePayment => request.type === "payment.create"), "payment.create");
    expect(create).toMatchObject({ paymentId: "pay-e2e-0001", amount: { minor: 1200, currency: "JPY" } });

    // the POS retrying with the same paymentId gets the same payment, not a second one
    expect((await api(base, "POST", "/v1/payments", { amountMinor: 1200, paymentId: "pay-e2e-0001", lines: [{ text: "Coffee", amountMinor: 1200 }] })).json.payment.paymentId).toBe("pay-e2e-0001");
    expect((await api(base, "POST", "/v1/payments", { amountMinor: 999, paymentId: "pay-e2e-0001" })).json.error.code).toBe("PAYMENT_EXISTS");

    const codeScreen = await waitFor(() => displayScreens().find((screen) => screen[1]!.startsWith("CODE 482 9137")), "code on the display");
    expect(codeScreen[0]).toBe("TOTAL       JPY 1200");
    expect((await api(base, "GET", "/v1/payments/pay-e2e-0001")).json.payment).toMatchObject({ state: "issued", code: ISSUED_CODE });

    await server.approve(create, STORE, "reg-e2e", "result-e2e-0001");
    await waitForAsync(async () => (await api(base, "GET", "/v1/payments/pay-e2e-0001")).json.payment.receiptPrinted === true, "receipt printed");
    expect((await api(base, "GET", "/v1/payments/pay-e2e-0001")).json.payment).toMatchObject({ state: "approved", reference: "tx-0001", receiptPrinted: true });

    const ack = await waitFor(() => server!.requests.find((request): request is ResultAck => request.type === "result.ack"), "result.ack");
    expect(ack).toMatchObject({ paymentId: "pay-e2e-0001", resultId: "result-e2e-0001" });

    const printed = serial.last("/dev/ttyPRINTER").recording;
    expect(printed.toString("latin1")).toContain("PAYMENT pay-e2e-0001");
    expect(printed.toString("latin1")).toMatch(/TOTAL +JPY 1200/);
    expect(printed.subarray(printed.length - 5).toString("hex")).toBe("1b700019fa");
    await waitFor(() => displayScreens().some((screen) => screen[0]!.startsWith("APPROVED")) || undefined, "APPROVED on the display");

    await waitFor(() => events.text().includes('"state":"approved"') || undefined, "approved event");
    expect(events.text()).toContain("event: payment\ndata: ");
    events.close();

    const journal = new Database(config.journalPath, { readonly: true });
    expect(journal.prepare("SELECT state, code, receipt_printed, reference FROM payments WHERE payment_id = ?").get("pay-e2e-0001")).toEqual({ state: "approved", code: ISSUED_CODE, receipt_printed: 1, reference: "tx-0001" });
    expect(journal.prepare("SELECT acked_at IS NOT NULL AS answered FROM outbox WHERE request_id = ?").get(create.requestId)).toEqual({ answered: 1 });
    journal.close();

    expect((await api(base, "GET", "/v1/health")).json.mqtt).toBe("up"); // still alive after the malformed messages
    expect(logs()).not.toContain("register-password");
    await agent.stop();
    agent = undefined;
    await waitFor(() => server!.presence.filter((p) => p.registerId === "reg-e2e").map((p) => p.state).join(",") === "online,offline" || undefined, "presence online then offline");
  });

  it("refuses new payments while the line is down and says so on the display", async () => {
    const config = agentConfig("mqtt://127.0.0.1:1", "reg-down");
    const { logger } = captureLogger();
    agent = await startAgent(config, { binding: serial.binding, logger });
    const base = agent.cashierApiUrl;
    const refused = await api(base, "POST", "/v1/payments", { amountMinor: 1200 });
    expect(refused).toEqual({ status: 503, json: { error: { code: "SERVER_UNAVAILABLE", message: expect.any(String) } } });
    expect((await api(base, "GET", "/v1/health")).json.mqtt).toBe("down");
    await waitFor(() => displayScreens().some((screen) => screen[0] === "MOBILE PAY          " && screen[1] === "UNAVAILABLE         ") || undefined, "line-down screen");
    expect((await api(base, "GET", "/v1/payments/nope-nope-1")).json.error.code).toBe("PAYMENT_NOT_FOUND");
    expect((await api(base, "POST", "/v1/payments", { amountMinor: "12" })).json.error.code).toBe("BAD_REQUEST");
    expect((await api(base, "GET", "/v2/anything")).status).toBe(404);
  });

  it("resends an unanswered payment.create with the same requestId after a restart", async () => {
    server = await startStandInServer();
    server.answering = false;
    const journalPath = path.join(mkdtempSync(path.join(tmpdir(), "codepay-agent-")), "journal.sqlite");
    const { logger, text: logs } = captureLogger();
    agent = await startAgent(agentConfig(server.url, "reg-restart", journalPath), { binding: serial.binding, logger });
    await waitFor(() => logs().includes("mqtt link up") || undefined, "link up");
    expect((await api(agent.cashierApiUrl, "POST", "/v1/payments", { amountMinor: 500, paymentId: "pay-restart-01" })).status).toBe(201);
    const first = await waitFor(() => server!.requests.find((request) => request.type === "payment.create"), "first create");
    await agent.stop();

    server.answering = true;
    agent = await startAgent(agentConfig(server.url, "reg-restart", journalPath), { binding: serial.binding, logger });
    await waitFor(() => server!.requests.filter((request) => request.requestId === first.requestId).length >= 2 || undefined, "create resent");
    await waitForAsync(async () => (await api(agent!.cashierApiUrl, "GET", "/v1/payments/pay-restart-01")).json.payment.state === "issued", "issued after restart");
  });
});

async function waitForAsync(probe: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
