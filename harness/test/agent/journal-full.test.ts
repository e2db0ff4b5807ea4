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
import { createStore, enrollRegister, silentLogger, startServer, type RunningServer } from "@codepay/sync-server";
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

  beforeAll(async () => {
    disk = mountSmallTmpfs(16);
    await createStore({ dataDir, id: "journal-store", name: "Journal Store", currency: "JPY" });
    const { password } = await enrollRegister({ dataDir, storeId: "journal-store", registerId: "journal-reg", name: "Journal" });
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
});
