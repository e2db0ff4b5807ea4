/**
 * The code length sizer against a real SQLite file: it counts enabled registers and open codes and
 * picks the shortest length whose guessing bound holds (payments/guess-bound.ts), logs the choice,
 * recounts on its own timer (registers enrolled by another process), and warns only when even the
 * longest code cannot keep the target.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { demoSeed } from "../../src/index.js";
import { openDatabase, type Db } from "../../src/db/database.js";
import { insertOpenPayment } from "../../src/db/repositories/payments.js";
import { setRegisterEnabled } from "../../src/admin/register-commands.js";
import { DEFAULT_GUESS_POLICY } from "../../src/payments/guess-policy.js";
import { CodeLengthSizer } from "../../src/settlement/code-length-sizer.js";
import { withCheckDigit } from "@codepay/contract";
import { makeTempDir } from "../helpers/temp-dir.js";

const TARGET = 1 / 10_000;

let dir: ReturnType<typeof makeTempDir>;
let db: Db;
let lines: { level: number; msg: string; codeDigits?: number; registers?: number; openCodes?: number }[];
let sizer: CodeLengthSizer | undefined;

function newSizer(minDigits = 6, maxDigits?: number): CodeLengthSizer {
  const logger = pino({ level: "info" }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString())), done()) }));
  sizer = new CodeLengthSizer({ db, policy: DEFAULT_GUESS_POLICY, minDigits, ...(maxDigits !== undefined ? { maxDigits } : {}), target: TARGET, logger });
  return sizer;
}

let registerCount = 1; // demo-reg-1
async function addRegisters(count: number): Promise<void> {
  const rows = Array.from({ length: count }, () => {
    registerCount += 1;
    return { id: `lane-${registerCount}`, store_id: "demo-store", name: `Lane ${registerCount}`, password_hash: "unused", broker_password_hash: null, created_at: 0 };
  });
  await db.insertInto("registers").values(rows).execute();
}

/** One open code on each of `count` registers (a register holds one open payment at a time), all but demo-reg-1 disabled since. */
async function openCodes(count: number): Promise<void> {
  await addRegisters(count - 1);
  const registerIds = ["demo-reg-1", ...Array.from({ length: count - 1 }, (_, i) => `lane-${i + 2}`)];
  for (let i = 0; i < count; i += 1) {
    const inserted = await insertOpenPayment(db, {
      paymentId: `open-${i}`, registerPaymentId: `open-${i}`, storeId: "demo-store", registerId: registerIds[i]!, amountMinor: 100, currency: "JPY",
      code: withCheckDigit(String(100_000 + i)), state: "pending", reason: null, expiresAt: Number.MAX_SAFE_INTEGER,
      claimedByPhone: null, reference: null, linesJson: null, createdAt: 0, updatedAt: 0,
    });
    expect(inserted).toBe(true);
  }
  await db.updateTable("registers").set({ disabled: 1 }).where("id", "!=", "demo-reg-1").execute();
}

beforeEach(async () => {
  dir = makeTempDir();
  delete process.env["DATABASE_URL"];
  await demoSeed({ dataDir: dir.path });
  db = await openDatabase(dir.path);
  lines = [];
  registerCount = 1;
});

afterEach(async () => {
  sizer?.stop();
  sizer = undefined;
  await db.destroy();
  dir.remove();
});

describe("code length sizer (real SQLite)", () => {
  it("keeps the minimum for a small store and says so at info level", async () => {
    await addRegisters(9);
    const choice = await newSizer().recount();
    expect(choice).toMatchObject({ randomDigits: 6, openCodes: 10, meetsTarget: true });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, codeDigits: 6, registers: 10, openCodes: 0 });
    expect(lines[0]!.msg).toMatch(/^payment codes: 6 random digits \+ check digit for 10 registers\/open codes \(serves up to 10;/);
  });

  it("lengthens codes for more registers, ignores disabled ones, and shortens again", async () => {
    const codes = newSizer();
    await addRegisters(10);
    expect((await codes.recount()).randomDigits).toBe(7);
    await addRegisters(89);
    expect((await codes.recount()).randomDigits).toBe(7); // 100 registers: 7 still serve
    await addRegisters(1);
    expect((await codes.recount()).randomDigits).toBe(8);
    await setRegisterEnabled({ dataDir: dir.path, registerId: "lane-2", enabled: false }); // as `admin register disable` does
    await db.updateTable("registers").set({ disabled: 1 }).where("id", "in", Array.from({ length: 90 }, (_, i) => `lane-${i + 3}`)).execute();
    expect((await codes.recount()).randomDigits).toBe(6); // 10 enabled left
    // One log line per change, not per count.
    expect(lines.map((line) => line.codeDigits)).toEqual([7, 8, 6]);
  });

  it("sizes for the open codes when they outnumber the enabled registers", async () => {
    await openCodes(11); // one enabled register, eleven open codes (ten on registers disabled since)
    const choice = await newSizer().recount();
    expect(choice).toMatchObject({ randomDigits: 7, openCodes: 11 });
    expect(lines[0]).toMatchObject({ registers: 1, openCodes: 11 });
  });

  it("recounts on its timer: a register enrolled by another process is counted without being told", async () => {
    const codes = newSizer();
    await codes.start(20);
    expect(codes.randomDigits).toBe(6);
    await addRegisters(10); // as `codepay-server admin register enroll` would, behind the sizer's back
    for (let polls = 0; codes.randomDigits !== 7; polls += 1) {
      expect(polls).toBeLessThan(500);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(codes.randomDigits).toBe(7);
  });

  it("concurrent recounts share one count, and one asked for mid-count runs after it", async () => {
    const codes = newSizer();
    const first = codes.recount();
    await addRegisters(10);
    const second = codes.recount(); // asked while the first counts: must see the new registers
    await first;
    expect((await second).randomDigits).toBe(7);
  });

  it("warns only when even the longest code cannot keep the target", async () => {
    await addRegisters(10);
    const choice = await newSizer(6, 6).recount();
    expect(choice).toMatchObject({ randomDigits: 6, meetsTarget: false });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, codeDigits: 6 });
    expect(lines[0]!.msg).toMatch(/^11 registers\/open codes: even 6 code digits \(the most\) serve at most 10/);
  });
});
