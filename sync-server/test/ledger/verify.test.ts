/**
 * The ledger defends itself: transfers and the audit log are append-only in the database, and
 * `admin verify` finds every edit made behind the server's back (here: a raw SQLite connection that
 * drops the triggers first, as an attacker with file access could).
 */
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli-main.js";
import { databasePath } from "../../src/db/database.js";
import { PhoneClient } from "../helpers/phone-client.js";
import { payWithCode } from "../helpers/pay.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { cpSync } from "node:fs";

let t: TestServer;
let pristine: string;
const copies: { remove: () => void }[] = [];

async function verifyCli(dataDir: string): Promise<{ code: number; report: { ok: boolean; violations: { code: string; message: string }[] } }> {
  const stdout: string[] = [];
  const code = await runCli(["admin", "verify", "--json", "--data-dir", dataDir], { stdout: (l) => stdout.push(l), stderr: () => undefined, env: {} });
  return { code, report: JSON.parse(stdout[0] ?? "{}") as { ok: boolean; violations: { code: string; message: string }[] } };
}

/** A copy of the settled database to tamper with (the server is stopped, so the WAL is checkpointed). */
function tamperCopy(): { dataDir: string; sqlite: BetterSqlite3.Database } {
  const dir = makeTempDir("codepay-tamper-");
  copies.push(dir);
  cpSync(pristine, dir.path, { recursive: true });
  return { dataDir: dir.path, sqlite: new BetterSqlite3(databasePath(dir.path)) };
}

beforeAll(async () => {
  t = await startTestServer();
  const register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
  const phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
  await payWithCode(register, phone, 1_200);
  await payWithCode(register, phone, 800);
  await register.close();
  await t.server.stop();
  pristine = t.dataDir;
});

afterAll(async () => {
  for (const copy of copies) copy.remove();
  await t.stop();
});

describe("admin verify", () => {
  it("passes on a ledger the server wrote: exit 0, no violations", async () => {
    const { code, report } = await verifyCli(pristine);
    expect(report).toMatchObject({ ok: true, violations: [], checked: { transfers: 3, payments: 2, auditEntries: 3 } });
    expect(code).toBe(0);
  });

  it("the database refuses UPDATE and DELETE of transfers and audit entries, and a user overdraft", () => {
    const { sqlite } = tamperCopy();
    expect(() => sqlite.prepare("update transfers set amount_minor = 1").run()).toThrow(/append-only table transfers/);
    expect(() => sqlite.prepare("delete from transfers").run()).toThrow(/append-only table transfers/);
    expect(() => sqlite.prepare("update audit_log set hash = 'x'").run()).toThrow(/append-only table audit_log/);
    expect(() => sqlite.prepare("delete from audit_log").run()).toThrow(/append-only/);
    expect(() => sqlite.prepare("update accounts set balance_minor = -1 where kind = 'user'").run()).toThrow(/below zero/);
    sqlite.close();
  });

  it("names an edited transfer amount: balances, audit entry, settlement amount", async () => {
    const { dataDir, sqlite } = tamperCopy();
    sqlite.exec("drop trigger transfers_no_update");
    sqlite.prepare("update transfers set amount_minor = amount_minor + 1 where kind = 'payment'").run();
    sqlite.close();
    const { code, report } = await verifyCli(dataDir);
    expect(code).toBe(1);
    const codes = new Set(report.violations.map((v) => v.code));
    expect(codes).toEqual(new Set(["BALANCE_MISMATCH", "SETTLEMENT_AMOUNT", "AUDIT_ENTRY_MISMATCH"]));
  });

  it("names an edited balance: the currency no longer sums to zero", async () => {
    const { dataDir, sqlite } = tamperCopy();
    sqlite.prepare("update accounts set balance_minor = balance_minor + 500 where kind = 'store'").run();
    sqlite.close();
    const { code, report } = await verifyCli(dataDir);
    expect(code).toBe(1);
    expect(report.violations.map((v) => v.code).sort()).toEqual(["BALANCE_MISMATCH", "CURRENCY_NOT_ZERO"]);
  });

  it("names a rewritten audit entry even when the transfer is untouched, and a deleted transfer", async () => {
    const { dataDir, sqlite } = tamperCopy();
    sqlite.exec("drop trigger audit_log_no_update");
    sqlite.prepare("update audit_log set entry_json = replace(entry_json, 'payment', 'topup') where seq = 2").run();
    sqlite.close();
    const first = await verifyCli(dataDir);
    expect(first.code).toBe(1);
    expect(new Set(first.report.violations.map((v) => v.code))).toEqual(new Set(["AUDIT_ENTRY_MISMATCH", "AUDIT_CHAIN_BROKEN"]));

    const second = tamperCopy();
    second.sqlite.exec("drop trigger transfers_no_delete; drop trigger audit_log_no_delete; pragma foreign_keys = off");
    second.sqlite.prepare("delete from audit_log where seq = 3").run();
    second.sqlite.prepare("delete from transfers where kind = 'payment' and id not in (select transfer_id from audit_log)").run();
    second.sqlite.close();
    const deleted = await verifyCli(second.dataDir);
    expect(deleted.code).toBe(1);
    expect(new Set(deleted.report.violations.map((v) => v.code))).toEqual(new Set(["BALANCE_MISMATCH", "SETTLEMENT_MISSING", "AUDIT_HEAD_MISMATCH"]));
  });

  it("prints each violation on its own line without --json", async () => {
    const { dataDir, sqlite } = tamperCopy();
    sqlite.prepare("update accounts set balance_minor = balance_minor - 1 where kind = 'system'").run();
    sqlite.close();
    const stdout: string[] = [];
    const code = await runCli(["admin", "verify", "--data-dir", dataDir], { stdout: (l) => stdout.push(l), stderr: () => undefined, env: {} });
    expect(code).toBe(1);
    expect(stdout.join("\n")).toMatch(/^VIOLATION BALANCE_MISMATCH: account system\/issuance\/JPY/m);
    expect(stdout.join("\n")).toMatch(/^VIOLATION CURRENCY_NOT_ZERO: JPY balances sum to -1, not 0$/m);
  });
});
