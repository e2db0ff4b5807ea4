/**
 * Issue 24, the register: the agent's journal on a full disk (a 16 MiB tmpfs). New payments are
 * refused 503 STORAGE_FULL with words the cashier reads (en/ja, ERROR_WORDS), never INTERNAL; every
 * payment it accepted before stays in the journal; once space is freed it takes payments again.
 * A real in-process server (SQLite on the ordinary disk) answers the agent.
 *
 * Needs root (mount): a loud skip without it, a failure under CODEPAY_REQUIRE_SYSTEM_TOOLS=1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ERROR_WORDS } from "@codepay/contract";
import { createLogger, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import BetterSqlite3 from "better-sqlite3";
import { createStore, enrollRegister, enrollUser, silentLogger, startServer, topUp, type RunningServer } from "@codepay/sync-server";
import { SimPhone } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";
import { mountSmallTmpfs, rootOrSkip, type SmallTmpfs } from "../helpers/small-tmpfs.js";

const runs = rootOrSkip("the full-disk test of the agent's journal");

async function create(agent: RunningAgent, amountMinor: number): Promise<{ status: number; body: { payment?: { paymentId: string }; error?: { code: string; message: string } } }> {
  const response = await fetch(`${agent.cashierApiUrl}/v1/payments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ amountMinor, replace: true }) });
  return { status: response.status, body: (await response.json()) as never };
}

describe.skipIf(!runs)("the agent's journal on a full disk", () => {
  let disk: SmallTmpfs;
  let agent: RunningAgent;
  let server: RunningServer;
  const dataDir = mkdtempSync(join(tmpdir(), "codepay-journal-full-"));
  let shopper: string;

  /** Whether the server's outbox holds the payment's pushed result as acknowledged (read beside the running server). */
  function resultAcked(paymentId: string): boolean {
    const db = new BetterSqlite3(join(dataDir, "codepay.sqlite"), { readonly: true });
    try {
      const rows = db.prepare("SELECT acked_at FROM outbox WHERE payment_id = ?").all(paymentId) as { acked_at: number | null }[];
      return rows.length > 0 && rows.every((row) => row.acked_at !== null);
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    disk = mountSmallTmpfs(16);
    await createStore({ dataDir, id: "journal-store", name: "Journal Store", currency: "JPY" });
    const { password } = await enrollRegister({ dataDir, storeId: "journal-store", registerId: "journal-reg", name: "Journal" });
    shopper = (await enrollUser({ dataDir, userId: "journal-user", name: "Shopper", phoneId: "+817000000077" })).subscriberCredential;
    await topUp({ dataDir, userId: "journal-user", amountMinor: 100_000, currency: "JPY", requestId: "journal-topup" });
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger(), httpRateLimits: "off" });
    agent = await startAgent(
      {
        server: { url: server.mqttUrl, authentication: "password" },
        register: { storeId: "journal-store", registerId: "journal-reg", password },
        currency: "JPY",
        language: "en",
        storeName: "Journal Store",
        journalPath: join(disk.path, "journal.sqlite"),
        cashierApi: { host: "127.0.0.1", port: 0 },
        devices: {},
        receipt: { greetByName: false },
      },
      { logger: createLogger("silent") },
    );
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    disk?.unmount();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("refuses new payments with STORAGE_FULL and keeps every accepted one; takes payments again once space is freed", async () => {
    const accepted: string[] = [];
    const until = Date.now() + 15_000;
    while (Date.now() < until && ((await (await fetch(`${agent.cashierApiUrl}/v1/health`)).json()) as { mqtt: string }).mqtt !== "up") await new Promise((resolve) => setTimeout(resolve, 50));
    const before = await create(agent, 100);
    expect(before.status).toBe(201);
    accepted.push(before.body.payment!.paymentId);

    disk.fill("filler");
    let refused: Awaited<ReturnType<typeof create>> | undefined;
    for (let n = 0; n < 2_000 && refused === undefined; n += 1) {
      const attempt = await create(agent, 200 + n);
      if (attempt.status === 201) accepted.push(attempt.body.payment!.paymentId);
      else refused = attempt;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.body.error?.code).toBe("STORAGE_FULL");
    // The cashier reads words, not the code: both languages exist for it.
    expect(ERROR_WORDS.STORAGE_FULL.en).toMatch(/full/i);
    expect(ERROR_WORDS.STORAGE_FULL.ja.length).toBeGreaterThan(0);

    // Every payment the cashier was told about is still there.
    for (const paymentId of accepted) expect((await fetch(`${agent.cashierApiUrl}/v1/payments/${paymentId}`)).status).toBe(200);

    rmSync(join(disk.path, "filler"));
    const after = await create(agent, 300);
    expect(after.status).toBe(201);
    for (const paymentId of accepted) expect((await fetch(`${agent.cashierApiUrl}/v1/payments/${paymentId}`)).status).toBe(200);
    process.stderr.write(`agent journal full: ${accepted.length - 1} payments accepted after the disk was filled, then STORAGE_FULL\n`);
  }, 60_000);

  test("an approval pushed while the journal cannot be written is not acknowledged: the server resends it, and once space is freed it is kept, acknowledged and shown", async () => {
    const created = await create(agent, 4_000);
    expect(created.status).toBe(201);
    const paymentId = created.body.payment!.paymentId;
    const code = await pollUntil("the code", async () => (await paymentView(agent, paymentId))?.code);

    // Fill the disk, then write to the journal (X reports) until it refuses: from here its writes fail.
    disk.fill("filler-result");
    let full = false;
    for (let n = 0; n < 500 && !full; n += 1) {
      const report = await fetch(`${agent.cashierApiUrl}/v1/reports/x`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      full = report.status === 503 && ((await report.json()) as { error?: { code: string } }).error?.code === "STORAGE_FULL";
    }
    expect(full).toBe(true);

    const phone = new SimPhone({ gatewayUrl: server.gatewayUrl, subscriberCredential: shopper });
    const claim = await phone.claim(code);
    if (!claim.ok) throw new Error(`claim refused: ${claim.code}`);
    expect((await phone.approve(claim.value.paymentId)).ok).toBe(true);
    // The agent got the result (and the server resends it every few seconds) but could not keep it: no result.ack.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(resultAcked(paymentId)).toBe(false);
    expect((await paymentView(agent, paymentId))?.state).not.toBe("approved");
    expect((await fetch(`${agent.cashierApiUrl}/v1/health`)).status).toBe(200); // still running

    rmSync(join(disk.path, "filler-result"));
    await pollUntil("the approval kept", async () => ((await paymentView(agent, paymentId))?.state === "approved" ? true : undefined), 20_000);
    await pollUntil("the result acknowledged", () => (resultAcked(paymentId) ? true : undefined), 20_000);
  }, 60_000);
});

async function paymentView(agent: RunningAgent, paymentId: string): Promise<{ state: string; code?: string } | undefined> {
  const response = await fetch(`${agent.cashierApiUrl}/v1/payments/${paymentId}`);
  return response.status === 200 ? ((await response.json()) as { payment: { state: string; code?: string } }).payment : undefined;
}
