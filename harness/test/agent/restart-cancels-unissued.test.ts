/**
 * Issue 17, item 2: a payment the cashier API may have answered as failed (the agent died after
 * journaling the create, before any code came back) never becomes payable. A runtime journals a
 * create that never reaches the server (its publish hangs, as in a crash); the real agent then starts
 * on that journal against the real sync-server: it resends the create, the server issues a code, and
 * the held cancel goes out at once: the payment ends cancelled and its code does not pay.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { demoSeed, listPayments, silentLogger, startServer, verify, type RunningServer } from "@codepay/sync-server";
import { upTopic } from "@codepay/contract";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { Journal, PaymentRuntime } from "@codepay/terminal-agent/parts";
import { captureLogger } from "../helpers/capture-logger.js";
import { pollUntil } from "../helpers/poll-until.js";

let dataDir: string | undefined;
let server: RunningServer | undefined;
let agent: RunningAgent | undefined;

afterAll(async () => {
  await agent?.stop();
  if (dataDir !== undefined) expect((await verify({ dataDir })).violations).toEqual([]);
  await server?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

it("a code payment still without a code at restart is cancelled before its code can be shown or paid", async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "codepay-restart-unissued-"));
  server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger(), sweepIntervalMs: 100 });
  const seed = await demoSeed({ dataDir });
  const journalPath = path.join(dataDir, "journal.sqlite");

  // The process that dies: the create is journaled and its publish never completes.
  const journal = Journal.open(journalPath);
  const dying = new PaymentRuntime({
    journal,
    link: { isUp: true, requestTopic: upTopic(seed.storeId, seed.registerId), publish: () => new Promise<void>(() => undefined) },
    clock: { now: () => Date.now() },
    logger: silentLogger(),
    storeName: "Demo Store",
    registerId: seed.registerId,
    onScreenChange: () => undefined,
  });
  void dying.createPayment({ paymentId: "given-up-1", amount: { minor: 700, currency: "JPY" }, lines: [] });
  await pollUntil("create journaled", () => journal.getPayment("given-up-1")?.state === "requested" || undefined);
  journal.close();

  const config = parseConfig({
    server: { url: server.mqttUrl },
    register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
    currency: "JPY",
    storeName: "Demo Store",
    journalPath,
    cashierApi: { host: "127.0.0.1", port: 0 },
  });
  const { logger, text } = captureLogger();
  agent = await startAgent(config, { logger });
  const cashier = agent.cashierApiUrl;
  const view = async () => ((await (await fetch(new URL("/v1/payments/given-up-1", cashier))).json()) as { payment: { state: string; code?: string } }).payment;
  const final = await pollUntil("given-up-1 cancelled", async () => ((await view()).state === "cancelled" ? await view() : undefined));
  expect(text()).toContain("payments without a code at restart cancelled");
  // The agent never lets its code out, not even on the cashier API.
  expect(final.code).toBeUndefined();
  // The code the server did issue (read from its database) does not pay: a phone's claim is refused.
  const issued = (await listPayments({ dataDir, limit: 10 })).payments.find((p) => p.paymentId === "given-up-1");
  expect(issued?.state).toBe("cancelled");
  const claim = await fetch(new URL("/api/v1/claims", server.gatewayUrl), {
    method: "POST",
    headers: { authorization: `Bearer ${seed.subscriberCredential}`, "content-type": "application/json" },
    body: JSON.stringify({ requestId: "claim-given-up", code: issued!.code }),
  });
  expect(claim.status).not.toBe(200);
  // The register is free for the next customer.
  const next = await fetch(new URL("/v1/payments", cashier), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ amountMinor: 800 }) });
  expect(next.status).toBe(201);
});
