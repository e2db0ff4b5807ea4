/** `codepay-agent pay`: where it finds the cashier API, and --timeout cancelling a payment nobody pays. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import type { CancelPayment } from "@codepay/contract";
import { parseConfig, startAgent, type RunningAgent } from "../src/index.js";
import { DEFAULT_CASHIER_API, cashierApiFor, payAndFollow } from "../src/pay-command.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { mockSerial, waitFor } from "./helpers/mock-serial.js";
import { startStandInServer, type StandInServer } from "./helpers/stand-in-server.js";

let server: StandInServer | undefined;
let agent: RunningAgent | undefined;

afterEach(async () => {
  await agent?.stop();
  await server?.close();
  agent = undefined;
  server = undefined;
  SerialPortMock.binding.reset();
});

describe("the cashier API pay calls", () => {
  const directory = mkdtempSync(path.join(tmpdir(), "codepay-pay-"));
  mkdirSync(path.join(directory, "data"));
  writeFileSync(path.join(directory, "data", "demo.json"), JSON.stringify({ cashierApi: "http://127.0.0.1:45123" }));

  it("is --api when given", () => {
    expect(cashierApiFor("http://127.0.0.1:9999", {}, directory)).toBe("http://127.0.0.1:9999");
  });

  it("is the one npm start wrote to data/demo.json (CODEPAY_PORTS=auto picks its port), also under CODEPAY_DATA_DIR", () => {
    expect(cashierApiFor(undefined, {}, directory)).toBe("http://127.0.0.1:45123");
    expect(cashierApiFor(undefined, { CODEPAY_DATA_DIR: path.join(directory, "data") }, "/")).toBe("http://127.0.0.1:45123");
  });

  it("is the default without a demo.json, or with one that does not name it", () => {
    expect(cashierApiFor(undefined, {}, path.join(directory, "data"))).toBe(DEFAULT_CASHIER_API);
    writeFileSync(path.join(directory, "broken.json"), "{");
    expect(cashierApiFor(undefined, { CODEPAY_DATA_DIR: directory }, "/")).toBe(DEFAULT_CASHIER_API);
  });
});

describe("pay --timeout", () => {
  it("cancels a payment nobody paid once the timeout passes, reports it cancelled and exits 1", async () => {
    server = await startStandInServer();
    const serial = mockSerial();
    const { logger, text: logs } = captureLogger();
    const config = parseConfig({
      server: { url: server.url },
      register: { storeId: "demo-store", registerId: "reg-pay", password: "register-password" },
      currency: "JPY",
      storeName: "Demo Store",
      journalPath: path.join(mkdtempSync(path.join(tmpdir(), "codepay-agent-")), "journal.sqlite"),
      cashierApi: { host: "127.0.0.1", port: 0 },
      devices: {},
    });
    agent = await startAgent(config, { binding: serial.binding, logger });
    await waitFor(() => logs().includes("mqtt link up") || undefined, "link up");
    // The stand-in answers a cancel as the server does: the payment's state, cancelled.
    const answered = new Set<string>();
    const answerCancels = setInterval(() => {
      for (const request of server!.requests) {
        if (request.type !== "payment.cancel" || answered.has(request.requestId)) continue;
        answered.add(request.requestId);
        const cancel = request as CancelPayment;
        void server!.send("demo-store", "reg-pay", { v: 1, type: "payment.state", inReplyTo: cancel.requestId, paymentId: cancel.paymentId, state: "cancelled", amount: { minor: 1200, currency: "JPY" }, updatedAt: Date.now() });
      }
    }, 20);
    const lines: string[] = [];
    const started = Date.now();
    const exitCode = await payAndFollow({ api: agent.cashierApiUrl, amountMinor: 1200, currency: "JPY", timeoutMs: 1_000, out: (line) => lines.push(line) });
    clearInterval(answerCancels);
    expect(exitCode).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(lines).toContain("waiting for a phone to pay, at most 1 s");
    expect(lines.some((line) => line.startsWith("CODE 482 9137"))).toBe(true);
    expect(lines).toContain("not paid within 1 s: cancelling");
    expect(lines.at(-1)).toMatch(/^CANCELLED/);
    expect(server.requests.filter((request) => request.type === "payment.cancel")).toHaveLength(1);
  });
});
