/**
 * The server reports its group commit on GET /metrics: WAL fsyncs and the transactions that waited
 * for them. A payment makes several transactions wait; each of them waited for an fsync. And the
 * WAL checkpoints its worker thread ran (db/wal-checkpointer.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PhoneClient } from "../helpers/phone-client.js";
import { payWithCode } from "../helpers/pay.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { scrapeMetricsText } from "../../src/index.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t.stop();
});

async function gauge(name: string): Promise<number> {
  const text = await scrapeMetricsText(t.server.operatorUrl);
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(" ")[1]);
}

describe("group commit metrics", () => {
  it("counts WAL fsyncs and their waiters; a payment adds to both, never more fsyncs than waiters", async () => {
    const syncsBefore = await gauge("codepay_sqlite_wal_fsyncs");
    const waitersBefore = await gauge("codepay_sqlite_fsync_waiters");
    const timedBefore = await gauge("codepay_sqlite_wal_fsync_seconds_count");
    const register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
    try {
      await payWithCode(register, new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential), 1_200);
    } finally {
      await register.close();
    }
    const syncs = (await gauge("codepay_sqlite_wal_fsyncs")) - syncsBefore;
    const waiters = (await gauge("codepay_sqlite_fsync_waiters")) - waitersBefore;
    // create, claim and approve are transactions that write: at least three waited for an fsync.
    expect(waiters).toBeGreaterThanOrEqual(3);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(waiters);
    // Every one of those fsyncs was timed.
    expect((await gauge("codepay_sqlite_wal_fsync_seconds_count")) - timedBefore).toBe(syncs);
  });

  it("checkpoints the WAL on its worker thread, not in a COMMIT: the frames written show up as copied", async () => {
    const register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
    try {
      await payWithCode(register, new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential), 800);
    } finally {
      await register.close();
    }
    // The worker runs once a second; give it a few rounds.
    for (let attempt = 0; attempt < 50 && (await gauge("codepay_sqlite_background_checkpoints")) === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await gauge("codepay_sqlite_background_checkpoints")).toBeGreaterThanOrEqual(1);
    expect(await gauge("codepay_sqlite_checkpoint_frames")).toBeGreaterThanOrEqual(1);
  });
});
