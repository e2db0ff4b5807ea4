/**
 * Issue 24: the server's SQLite data directory on a small filesystem (a 24 MiB tmpfs) that runs full
 * under payments. Before: a free-space warning (/health `storage: "low"`, still 200, a metric, a log
 * line). Full: creates and claims are refused with the specific, retryable STORAGE_FULL (an MQTT
 * `error` reply; HTTP 503 with Retry-After), never INTERNAL; /health answers 503 `storage: "full"`;
 * codepay_storage_full_errors_total counts; the background checkpoint worker, whose WAL frames the
 * database file has no room for, stops (checkpoints go back into COMMIT). Space freed: the same
 * requests, retried with the same ids, go through exactly once, /health is 200 again, the checkpoint
 * worker is started again by the writes that follow (codepay_sqlite_checkpoint_restarts), and the
 * ledger verifies. A register holds one open payment, so the codes open when the disk fills belong to
 * as many registers, and each create of the full-disk register replaces the one before.
 *
 * Needs root (mount): a loud skip without it, a failure under CODEPAY_REQUIRE_SYSTEM_TOOLS=1.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStore, enrollRegister, enrollUser, listPayments, startServer, topUp, verify, type RunningServer } from "@codepay/sync-server";
import { SimPhone } from "@codepay/hardware-sim";
import { SHOPPER_API_PREFIX } from "@codepay/contract";
import { SimRegister } from "../../src/register/sim-register.js";
import { captureLogger } from "../helpers/capture-logger.js";
import { pollUntil } from "../helpers/poll-until.js";
import { mountSmallTmpfs, rootOrSkip, type SmallTmpfs } from "../helpers/small-tmpfs.js";

const runs = rootOrSkip("the full-disk test of the server's SQLite database");

const STORE = "full-store";
const AMOUNT = { minor: 500, currency: "JPY" } as const;
const WARN_BELOW_BYTES = 6 * 1024 * 1024;
/** Codes open when the disk fills, one per register of the store (a register holds one open payment at a time). */
const OPEN_CODES = 150;
/** Claims made while the disk still has 1 MiB free, before it is filled to the last byte. */
const ROOM_CLAIMS = 10;
/**
 * Open codes kept back for after the creates were refused. The claims before them can all go through
 * on a full disk when the WAL file already has room for their frames (a checkpoint had just reset it:
 * a fresh-clone CI run saw all 140 claims succeed); once a create was refused, the WAL can grow no
 * further and a claim is refused too.
 */
const RESERVED_CODES = 10;

async function health(server: RunningServer): Promise<{ status: number; body: { status: string; storage: { state: string; freeBytes: number } } }> {
  const response = await fetch(`${server.operatorUrl}/health`);
  return { status: response.status, body: (await response.json()) as never };
}

async function metric(server: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.operatorUrl}/metrics`)).text();
  const match = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

describe.skipIf(!runs)("the server's SQLite database on a full disk", () => {
  let disk: SmallTmpfs;
  let server: RunningServer;
  let register: SimRegister;
  /** One open payment per register: the codes claimed once the disk is full are held by as many registers. */
  const lanes: SimRegister[] = [];
  let phone: SimPhone;
  let credential: string;
  const log = captureLogger();

  beforeAll(async () => {
    disk = mountSmallTmpfs(24);
    const dataDir = join(disk.path, "data");
    await createStore({ dataDir, id: STORE, name: "Full Store", currency: "JPY" });
    const enrolled = await enrollRegister({ dataDir, storeId: STORE, registerId: "full-reg", name: "Full" });
    const laneLogins = [];
    for (let n = 0; n <= OPEN_CODES; n += 1) laneLogins.push(await enrollRegister({ dataDir, storeId: STORE, registerId: `full-lane-${n}`, name: `Lane ${n}` }));
    const user = await enrollUser({ dataDir, userId: "full-user", name: "Shopper", phoneId: "+817000000099" });
    await topUp({ dataDir, userId: "full-user", amountMinor: 10_000_000, currency: "JPY", requestId: "full-topup" });
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: log.logger, httpRateLimits: "off", storageFreeBytesWarnMin: WARN_BELOW_BYTES });
    register = new SimRegister({ mqttUrl: server.mqttUrl, storeId: STORE, registerId: enrolled.registerId, password: enrolled.password, replyTimeoutMs: 20_000 });
    await register.connect();
    for (const login of laneLogins) {
      const lane = new SimRegister({ mqttUrl: server.mqttUrl, storeId: STORE, registerId: login.registerId, password: login.password, replyTimeoutMs: 20_000 });
      await lane.connect();
      lanes.push(lane);
    }
    credential = user.subscriberCredential;
    phone = new SimPhone({ gatewayUrl: server.gatewayUrl, subscriberCredential: credential });
  }, 60_000);

  afterAll(async () => {
    await register?.stop();
    for (const lane of lanes) await lane.stop();
    await server?.stop();
    disk?.unmount();
  });

  test("warns before, refuses with STORAGE_FULL while full, reports it, and resumes by itself once space is freed", async () => {
    // Plenty of room: ok.
    expect((await health(server)).body.storage.state).toBe("ok");
    const first = await register.createPayment("fulldisk-0", AMOUNT);
    const pending = await lanes[OPEN_CODES]!.createPayment("fulldisk-pending", AMOUNT);
    // Codes the phones will claim once the disk is full, made while there is room (each create writes
    // several WAL pages: 150 of them do not fit in the few MiB left below the warning threshold).
    const open = [];
    for (let n = 0; n < OPEN_CODES; n += 1) open.push(await lanes[n]!.createPayment(`fulldisk-open-${n}`, AMOUNT));

    // Below the warning threshold: "low", still 200, a metric, one warning in the log.
    disk.fill("filler-low", WARN_BELOW_BYTES / 2);
    await pollUntil("storage low on /health", async () => ((await health(server)).body.storage.state === "low" ? true : undefined), 15_000);
    expect((await health(server)).status).toBe(200);
    expect(await metric(server, 'codepay_storage_state{state="low"}')).toBe(1);
    expect(log.text()).toContain("little free space left under the database");

    // Full: phones claim open codes, registers create payments, until the disk refuses each. A
    // refusal is STORAGE_FULL, never INTERNAL (a write that fits in WAL space already on disk still
    // goes through: that is why both loop).
    // A little room first (1 MiB), so the first claims go through into the WAL: frames that the
    // database file will have no room for when the background checkpoint copies them. Then none at all.
    disk.fill("filler-full", 1024 * 1024);
    type RefusedClaim = { code: string; requestId: string; status: number; retryAfter: string | null; body: { error?: { code: string } } };
    const claimedWhileFull: string[] = [];
    /** Claims the codes in order until one is refused (returned); `onClaim` runs before each. */
    const claimUntilRefused = async (codes: readonly { code: string; paymentId: string }[], onClaim: (index: number) => void = () => undefined): Promise<RefusedClaim | undefined> => {
      for (const [index, issued] of codes.entries()) {
        onClaim(index);
        const requestId = randomUUID();
        const response = await fetch(`${server.gatewayUrl}${SHOPPER_API_PREFIX}/claims`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
          body: JSON.stringify({ requestId, code: issued.code }),
        });
        if (response.status !== 200) return { code: issued.code, requestId, status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as never };
        claimedWhileFull.push(issued.paymentId);
      }
      return undefined;
    };
    let refusedClaim = await claimUntilRefused(open.slice(0, OPEN_CODES - RESERVED_CODES), (index) => {
      if (index === ROOM_CLAIMS) disk.fill("filler-rest");
    });
    const created: string[] = [];
    let refused: { paymentId: string; requestId: string; replaces: string[]; message: string } | undefined;
    let previous = first.paymentId; // each create takes the register from the one before (replaces)
    for (let n = 1; n <= 2_000 && refused === undefined; n += 1) {
      const paymentId = `fulldisk-${n}`;
      const requestId = randomUUID();
      try {
        await register.createPayment(paymentId, AMOUNT, requestId, [previous]);
        created.push(paymentId);
        previous = paymentId;
      } catch (error) {
        refused = { paymentId, requestId, replaces: [previous], message: (error as Error).message };
      }
    }
    expect(refused?.message).toMatch(/^STORAGE_FULL: /);
    refusedClaim ??= await claimUntilRefused(open.slice(OPEN_CODES - RESERVED_CODES));
    expect(refusedClaim).toMatchObject({ status: 503, body: { error: { code: "STORAGE_FULL" } } });
    expect(Number(refusedClaim!.retryAfter)).toBeGreaterThan(0);
    // The claims that went through left frames in the WAL that the database file has no room for: the
    // background checkpoint fails on its next round, and checkpoints go back into COMMIT.
    await pollUntil("the background checkpoint worker stopped by the full disk", async () => (log.text().includes("background WAL checkpoints stopped") ? true : undefined), 15_000);
    const full = await health(server);
    expect(full.status).toBe(503);
    expect(full.body.status).toBe("degraded");
    expect(full.body.storage.state).toBe("full");
    expect(await metric(server, 'codepay_storage_state{state="full"}')).toBe(1);
    expect(await metric(server, "codepay_storage_full_errors_total")).toBeGreaterThan(0);
    expect(log.text()).not.toMatch(/"code":"INTERNAL"|a batch failed/);

    // Space freed: the refused create, retried with its requestId, goes through once; the claim too.
    rmSync(join(disk.path, "filler-full"));
    rmSync(join(disk.path, "filler-rest"), { force: true });
    rmSync(join(disk.path, "filler-low"));
    const checkpointsBefore = await metric(server, "codepay_sqlite_background_checkpoints");
    const retried = await register.createPayment(refused!.paymentId, AMOUNT, refused!.requestId, refused!.replaces);
    expect(retried.paymentId).toBe(refused!.paymentId);
    await pollUntil("health ok again", async () => ((await health(server)).status === 200 ? true : undefined), 15_000);
    expect((await health(server)).body.storage.state).toBe("ok");
    const claimed = await phone.claim(pending.code);
    expect(claimed.ok).toBe(true);
    const refusedRetried = await fetch(`${server.gatewayUrl}${SHOPPER_API_PREFIX}/claims`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
      body: JSON.stringify({ requestId: refusedClaim!.requestId, code: refusedClaim!.code }),
    });
    expect(refusedRetried.status).toBe(200);
    const result = lanes[OPEN_CODES]!.waitForResult("fulldisk-pending");
    expect((await phone.approve("fulldisk-pending")).ok).toBe(true);
    expect((await result).state).toBe("approved");

    // Background checkpoints run again: the first write that succeeds a second (limits) after they
    // stopped starts them, so the register keeps taking payments until one has copied frames.
    previous = refused!.paymentId;
    let after = 0;
    await pollUntil(
      "a background checkpoint after the disk was freed",
      async () => {
        previous = (await register.createPayment(`fulldisk-after-${after++}`, AMOUNT, randomUUID(), [previous])).paymentId;
        return (await metric(server, "codepay_sqlite_background_checkpoints")) > checkpointsBefore ? true : undefined;
      },
      15_000,
    );
    const stopped = (log.text().match(/background WAL checkpoints stopped/g) ?? []).length;
    expect(stopped).toBeGreaterThan(0);
    expect(await metric(server, "codepay_sqlite_checkpoint_restarts")).toBe(stopped);

    // Nothing lost, nothing doubled: every create answered issued is there once, the refused one once.
    const payments = (await listPayments({ dataDir: join(disk.path, "data"), limit: 5_000 })).payments.map((p) => p.paymentId);
    for (const paymentId of [first.paymentId, "fulldisk-pending", ...open.map((issued) => issued.paymentId), ...created, refused!.paymentId]) expect(payments.filter((id) => id === paymentId)).toHaveLength(1);
    expect((await verify({ dataDir: join(disk.path, "data") })).violations).toEqual([]);
    process.stderr.write(`storage full: ${claimedWhileFull.length} claims and ${created.length} creates went through after the disk was filled, then STORAGE_FULL; checkpoint worker stopped ${stopped} time(s)\n`);
  }, 120_000);
});
