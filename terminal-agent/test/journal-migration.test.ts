/**
 * The journal's schema 2 -> 3 migration (card tender columns) on a real SQLite file made with the
 * released v2 schema (fixtures/journal-schema-v2.sql) and holding what a v2 agent leaves behind: an
 * approved payment whose receipt never printed, an issued payment waiting for its result with its
 * request still unanswered, a voided payment with a refund, and an answered report.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "../src/journal/journal.js";
import { SCHEMA_VERSION } from "../src/journal/schema.js";
import type { Payment } from "../src/core/payment.js";

const V2_SCHEMA = readFileSync(new URL("./fixtures/journal-schema-v2.sql", import.meta.url), "utf8");
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function v2JournalFile(): string {
  dir = mkdtempSync(path.join(tmpdir(), "codepay-journal-v2-"));
  const file = path.join(dir, "journal.sqlite");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(V2_SCHEMA);
  db.exec(`
    INSERT INTO payments (payment_id, state, amount_minor, currency, lines, create_request_id, code, expires_at, reason, reference, receipt_printed, cancel_requested, void_request_id, refunds, created, updated)
    VALUES
      ('pay-v2-approved', 'approved', 1200, 'JPY', '[{"text":"Coffee","amountMinor":1200}]', 'req-v2-0001', '4829137', 120000, NULL, 'tx-1', 0, 0, NULL, '[]', 1, 2),
      ('pay-v2-issued',   'issued',    800, 'JPY', '[]', 'req-v2-0002', '1234566', 240000, NULL, NULL, 0, 0, NULL, '[]', 3, 4),
      ('pay-v2-voided',   'voided',    500, 'EUR', '[]', 'req-v2-0003', NULL, NULL, NULL, 'tx-3', 1, 0, 'void-v2-0001',
        '[{"refundId":"refund-v2-1","amountMinor":100,"state":"done"}]', 5, 6);
    INSERT INTO outbox (request_id, payment_id, type, topic, payload, created, sent_at, send_count, acked_at)
    VALUES
      ('req-v2-0002', 'pay-v2-issued', 'payment.create', 'codepay/v1/demo-store/reg-1/req', '{"type":"payment.create"}', 3, 3, 1, NULL),
      ('req-v2-0001', 'pay-v2-approved', 'payment.create', 'codepay/v1/demo-store/reg-1/req', '{"type":"payment.create"}', 1, 1, 1, 2),
      ('report-v2-1', NULL, 'report.request', 'codepay/v1/demo-store/reg-1/req', '{"type":"report.request"}', 7, 7, 1, 8);
    INSERT INTO reports (request_id, kind, report, error, created, answered, printed) VALUES ('report-v2-1', 'x', NULL, NULL, 7, 8, 1);
    PRAGMA user_version = 2;
  `);
  db.close();
  return file;
}

function columns(file: string): string[] {
  const db = new Database(file, { readonly: true });
  const names = (db.prepare(`PRAGMA table_info(payments)`).all() as Array<{ name: string }>).map((column) => column.name);
  db.close();
  return names;
}

function userVersion(file: string): number {
  const db = new Database(file, { readonly: true });
  const version = db.pragma("user_version", { simple: true }) as number;
  db.close();
  return version;
}

describe("journal schema 2 -> 3 -> 4 on a real v2 file", () => {
  it("adds the card columns and keeps every payment, outbox entry and report as it was", () => {
    const file = v2JournalFile();
    expect(columns(file)).not.toContain("tender");
    const journal = Journal.open(file);
    expect(SCHEMA_VERSION).toBe(4);
    expect(userVersion(file)).toBe(4);
    expect(columns(file)).toEqual(expect.arrayContaining(["tender", "card_last4", "card_error", "code_renewed"]));

    expect(journal.getPayment("pay-v2-approved")).toEqual({
      paymentId: "pay-v2-approved", state: "approved", amount: { minor: 1200, currency: "JPY" }, lines: [{ text: "Coffee", amountMinor: 1200 }],
      createRequestId: "req-v2-0001", code: "4829137", expiresAt: 120000, reference: "tx-1", receiptPrinted: false, cancelRequested: false,
      refunds: [], createdAt: 1, updatedAt: 2,
    });
    expect(journal.getPayment("pay-v2-voided")).toMatchObject({ state: "voided", voidRequestId: "void-v2-0001", refunds: [{ refundId: "refund-v2-1", amountMinor: 100, state: "done" }] });
    // A v2 payment has no tender: it is a code payment, and no card fields appear.
    expect(journal.getPayment("pay-v2-issued")).not.toHaveProperty("tender");
    expect(journal.getPayment("pay-v2-issued")).not.toHaveProperty("cardLast4");

    // What the agent does at start still finds the v2 work: the receipt to print, the payment to ask about, the request to resend.
    expect(journal.unprintedApprovedPayments().map((p) => p.paymentId)).toEqual(["pay-v2-approved"]);
    expect(journal.inFlightPayments().map((p) => p.paymentId)).toEqual(["pay-v2-issued"]);
    expect(journal.unansweredRequests(100, 10).map((entry) => entry.requestId)).toEqual(["req-v2-0002"]);
    expect(journal.getReport("report-v2-1")).toMatchObject({ kind: "x", printed: true });
    journal.close();
  });

  it("after the migration a card payment is journaled and read back with its card fields", () => {
    const file = v2JournalFile();
    const journal = Journal.open(file);
    const card: Payment = {
      paymentId: "pay-v3-card", state: "awaiting-card", amount: { minor: 1500, currency: "JPY" }, lines: [], createRequestId: "req-v3-0001",
      receiptPrinted: false, cancelRequested: false, refunds: [], tender: "card", cardError: "CARD_LUHN", createdAt: 10, updatedAt: 11,
    };
    journal.write(card, [], 11);
    expect(journal.awaitingCardPayment()).toEqual(card);
    journal.write({ ...card, state: "approved", cardLast4: "1111", cardError: undefined } as Payment, [], 12);
    expect(journal.getPayment("pay-v3-card")).toMatchObject({ state: "approved", tender: "card", cardLast4: "1111" });
    journal.close();
  });

  it("after the migration a renewed code (NEW CODE on the display) is journaled and read back; v2 payments have none", () => {
    const file = v2JournalFile();
    const journal = Journal.open(file);
    expect(journal.getPayment("pay-v2-issued")).not.toHaveProperty("codeRenewed");
    const issued = journal.getPayment("pay-v2-issued") as Payment;
    journal.write({ ...issued, code: "7654321", codeRenewed: true, updatedAt: 9 }, [], 9);
    journal.close();
    const reopened = Journal.open(file);
    expect(reopened.getPayment("pay-v2-issued")).toMatchObject({ code: "7654321", codeRenewed: true });
    reopened.close();
  });

  it("opening the migrated file again changes nothing (no second ALTER, same rows)", () => {
    const file = v2JournalFile();
    Journal.open(file).close();
    const before = columns(file);
    const journal = Journal.open(file);
    expect(columns(file)).toEqual(before);
    expect(userVersion(file)).toBe(4);
    expect(journal.getPayment("pay-v2-approved")?.state).toBe("approved");
    journal.close();
  });

  it("a failed migration leaves the v2 file as it was (one transaction)", () => {
    const file = v2JournalFile();
    // A v2 file that already has one of the new columns (hand-edited) makes ALTER TABLE fail midway.
    const db = new Database(file);
    db.exec(`ALTER TABLE payments ADD COLUMN card_error TEXT`);
    db.close();
    expect(() => Journal.open(file)).toThrow(/duplicate column/);
    expect(userVersion(file)).toBe(2);
    expect(columns(file)).not.toContain("tender");
  });
});
