/**
 * The presence recorder when a write fails (issue 20): the updates are kept and written again by
 * themselves on the next round, without waiting for another register to report; a newer report of
 * the same register wins over the kept one. Real SQLite: the write fails on the foreign key of a
 * register that is not enrolled yet, and succeeds once it is.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { demoSeed, enrollRegister, silentLogger } from "../../src/index.js";
import { openDatabase, type Db } from "../../src/db/database.js";
import { listRegisterHealth } from "../../src/db/repositories/register-presence.js";
import { PresenceRecorder } from "../../src/fleet/presence-recorder.js";
import { makeTempDir } from "../helpers/temp-dir.js";

let dir: ReturnType<typeof makeTempDir>;
let db: Db;
let recorder: PresenceRecorder | undefined;

beforeEach(async () => {
  dir = makeTempDir();
  delete process.env["DATABASE_URL"];
  await demoSeed({ dataDir: dir.path });
  db = await openDatabase(dir.path);
});

afterEach(async () => {
  await recorder?.stop();
  recorder = undefined;
  await db.destroy();
  dir.remove();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("presence recorder", () => {
  it("keeps a failed write and writes it again by itself once the database takes it", async () => {
    const warnings: string[] = [];
    const logger = silentLogger();
    const original = logger.warn.bind(logger);
    logger.warn = ((...args: Parameters<typeof logger.warn>) => {
      warnings.push(String(args[1] ?? args[0]));
      return original(...args);
    }) as typeof logger.warn;
    let now = 1_000;
    recorder = new PresenceRecorder(db, () => now, logger, 20, 100);
    recorder.note({ storeId: "demo-store", registerId: "late-reg" }, { v: 1, type: "presence", state: "online", at: 1, agentVersion: "1.2.3" });
    await until("the failed write", async () => (warnings.length > 0 ? true : undefined));
    expect(warnings[0]).toContain("kept for the next round");
    expect((await listRegisterHealth(db)).find((row) => row.registerId === "late-reg")).toBeUndefined();

    // Nobody reports again; the register is enrolled meanwhile: the kept update lands on a later round.
    await enrollRegister({ dataDir: dir.path, storeId: "demo-store", registerId: "late-reg", name: "Late" });
    const row = await until("the kept presence", async () => (await listRegisterHealth(db)).find((r) => r.registerId === "late-reg" && r.presence === "online"));
    expect(row).toMatchObject({ agentVersion: "1.2.3", lastSeenAt: 1_000 });
    now = 2_000;
    recorder.note({ storeId: "demo-store", registerId: "late-reg" }, { v: 1, type: "presence", state: "offline" });
    await until("the newer report", async () => (await listRegisterHealth(db)).find((r) => r.registerId === "late-reg" && r.presence === "offline"));
  });

  it("a newer report replaces a kept one, and nothing is written after stop", async () => {
    let now = 1_000;
    recorder = new PresenceRecorder(db, () => now, silentLogger(), 20, 100);
    recorder.note({ storeId: "demo-store", registerId: "late-reg" }, { v: 1, type: "presence", state: "online", at: 1 });
    await recorder.flush(); // fails: not enrolled; kept
    now = 3_000;
    recorder.note({ storeId: "demo-store", registerId: "late-reg" }, { v: 1, type: "presence", state: "offline" });
    await enrollRegister({ dataDir: dir.path, storeId: "demo-store", registerId: "late-reg", name: "Late" });
    await recorder.flush();
    expect((await listRegisterHealth(db)).find((r) => r.registerId === "late-reg")).toMatchObject({ presence: "offline", lastSeenAt: 3_000 });
    await recorder.stop();
    recorder.note({ storeId: "demo-store", registerId: "late-reg" }, { v: 1, type: "presence", state: "online", at: 2 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await listRegisterHealth(db)).find((r) => r.registerId === "late-reg")).toMatchObject({ presence: "offline" });
  });
});
