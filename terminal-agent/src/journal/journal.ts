/**
 * The agent's crash-safe record: payments and the outbox of requests to the server (SQLite, WAL,
 * synchronous=FULL so a commit survives power loss). The outbox lives here, not in mqtt.js's store
 * (those stores lose messages across restarts). better-sqlite3 is synchronous: a write has hit the
 * disk when the call returns, which is what lets the link PUBACK a result only after storing it.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { PrintQueueStore } from "../devices/print-queue.js";
import { JournalPrintQueue } from "./print-jobs.js";
import type { CurrencyCode, ErrorCode, RegisterRequest, Report } from "@codepay/contract";
import { journalEntriesMax } from "../core/limits.js";
import type { AgentPaymentState, Payment, ReceiptLine, Refund } from "../core/payment.js";
import { MIGRATE_V1_TO_V2_SQL, MIGRATE_V2_TO_V3_SQL, MIGRATE_V3_TO_V4_SQL, SCHEMA_SQL, SCHEMA_VERSION } from "./schema.js";

export interface OutboxEntry {
  readonly requestId: string;
  /** Null for requests that belong to no payment (reports). */
  readonly paymentId: string | null;
  readonly type: RegisterRequest["type"];
  readonly topic: string;
  readonly payload: string;
  readonly sentAt: number | undefined;
  readonly sendCount: number;
}

interface PaymentRow {
  payment_id: string;
  state: string;
  amount_minor: number;
  currency: string;
  lines: string;
  create_request_id: string;
  code: string | null;
  expires_at: number | null;
  reason: string | null;
  reference: string | null;
  receipt_printed: number;
  cancel_requested: number;
  void_request_id: string | null;
  refunds: string;
  tender: string | null;
  card_last4: string | null;
  card_error: string | null;
  code_renewed: number;
  void_note: string | null;
  created: number;
  updated: number;
}

/** A report the cashier asked for: its reply (or refusal) once the server answered. */
export interface ReportEntry {
  readonly requestId: string;
  readonly kind: "x" | "z";
  readonly report: Report | undefined;
  readonly error: { code: ErrorCode; message: string } | undefined;
  readonly printed: boolean;
}

interface OutboxRow {
  request_id: string;
  payment_id: string | null;
  type: string;
  topic: string;
  payload: string;
  sent_at: number | null;
  send_count: number;
}

export class Journal {
  readonly #db: Database.Database;
  #printQueue: JournalPrintQueue | undefined;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(file: string): Journal {
    if (file !== ":memory:") {
      // The journal holds payments and the register's history: the agent user's alone (its -wal and
      // -shm take the file's mode). An existing file keeps its mode; check-config warns about it.
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      closeSync(openSync(file, "a", 0o600));
    }
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    const version = db.pragma("user_version", { simple: true }) as number;
    try {
      // One transaction: a migration that fails leaves the file at its old version.
      db.transaction(() => {
        if (version === 1) db.exec(MIGRATE_V1_TO_V2_SQL);
        if (version === 1 || version === 2) db.exec(MIGRATE_V2_TO_V3_SQL);
        if (version >= 1 && version <= 3) db.exec(MIGRATE_V3_TO_V4_SQL);
        db.exec(SCHEMA_SQL);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    } catch (error) {
      db.close();
      throw error;
    }
    return new Journal(db);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** The printer's durable queue, in this file on this connection (one per journal). */
  printQueue(): PrintQueueStore {
    this.#printQueue ??= new JournalPrintQueue(this.#db);
    return this.#printQueue;
  }

  /** Stores the payment and queues the requests, in one transaction. */
  write(payment: Payment, outbox: readonly { request: RegisterRequest; topic: string }[], now: number): void {
    const upsert = this.#db.prepare(`
      INSERT INTO payments (payment_id, state, amount_minor, currency, lines, create_request_id, code, expires_at, reason, reference, receipt_printed, cancel_requested, void_request_id, refunds, tender, card_last4, card_error, code_renewed, void_note, created, updated)
      VALUES (@payment_id, @state, @amount_minor, @currency, @lines, @create_request_id, @code, @expires_at, @reason, @reference, @receipt_printed, @cancel_requested, @void_request_id, @refunds, @tender, @card_last4, @card_error, @code_renewed, @void_note, @created, @updated)
      ON CONFLICT (payment_id) DO UPDATE SET state = excluded.state, code = excluded.code, expires_at = excluded.expires_at,
        reason = excluded.reason, reference = excluded.reference, receipt_printed = excluded.receipt_printed,
        cancel_requested = excluded.cancel_requested, void_request_id = excluded.void_request_id, refunds = excluded.refunds,
        tender = excluded.tender, card_last4 = excluded.card_last4, card_error = excluded.card_error, code_renewed = excluded.code_renewed, void_note = excluded.void_note, updated = excluded.updated`);
    const queue = this.#db.prepare(
      `INSERT INTO outbox (request_id, payment_id, type, topic, payload, created) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING`,
    );
    this.#db.transaction(() => {
      upsert.run(toRow(payment));
      for (const { request, topic } of outbox) queue.run(request.requestId, "paymentId" in request ? request.paymentId : null, request.type, topic, JSON.stringify(request), now);
    })();
  }

  getPayment(paymentId: string): Payment | undefined {
    const row = this.#db.prepare(`SELECT * FROM payments WHERE payment_id = ?`).get(paymentId) as PaymentRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Payments still waiting for the server (requested or issued), oldest first. */
  inFlightPayments(): Payment[] {
    const rows = this.#db
      .prepare(`SELECT * FROM payments WHERE state IN ('requested', 'issued') ORDER BY created LIMIT ?`)
      .all(journalEntriesMax) as PaymentRow[];
    return rows.map(fromRow);
  }

  /** Approved payments whose receipt the printer has not confirmed (a crash came between), oldest first. */
  unprintedApprovedPayments(): Payment[] {
    const rows = this.#db
      .prepare(`SELECT * FROM payments WHERE state = 'approved' AND receipt_printed = 0 ORDER BY created LIMIT ?`)
      .all(journalEntriesMax) as PaymentRow[];
    return rows.map(fromRow);
  }

  /**
   * The payment a shopper could still pay, if any (one customer at a time): waiting for a card, sent or
   * issued, not being cancelled, its code not past its expiry at `now` (epoch ms). The newest if several.
   */
  openPayment(now: number): Payment | undefined {
    const row = this.#db
      .prepare(
        `SELECT * FROM payments WHERE state IN ('awaiting-card', 'requested', 'issued') AND cancel_requested = 0
           AND (expires_at IS NULL OR expires_at > ?) ORDER BY created DESC LIMIT 1`,
      )
      .get(now) as PaymentRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * Payments not yet seen to end that no longer hold the register: their cancel was asked for, or their
   * time is up. A new payment.create names them (`replaces`), so the server, which allows one open
   * payment per register, ends them first instead of refusing the new one. Newest first, at most `limit`.
   */
  paymentsToReplace(now: number, limit: number): string[] {
    const rows = this.#db
      .prepare(
        `SELECT payment_id FROM payments WHERE state IN ('requested', 'issued')
           AND (cancel_requested = 1 OR (expires_at IS NOT NULL AND expires_at <= ?)) ORDER BY created DESC, rowid DESC LIMIT ?`,
      )
      .all(now, limit) as { payment_id: string }[];
    return rows.map((row) => row.payment_id);
  }

  /** The card payment a swipe belongs to: the most recent one still waiting for a card. */
  awaitingCardPayment(): Payment | undefined {
    const row = this.#db.prepare(`SELECT * FROM payments WHERE state = 'awaiting-card' ORDER BY created DESC LIMIT 1`).get() as PaymentRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * The register's payments, newest first, for the cashier's history: optionally one state, created in
   * [fromMs, toMs), and before a cursor (created, paymentId) from the previous page. At most `limit`.
   */
  listPayments(query: { state?: string | undefined; fromMs?: number | undefined; toMs?: number | undefined; before?: { created: number; paymentId: string } | undefined; limit: number }): Payment[] {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (query.state !== undefined) (where.push("state = ?"), values.push(query.state));
    if (query.fromMs !== undefined) (where.push("created >= ?"), values.push(query.fromMs));
    if (query.toMs !== undefined) (where.push("created < ?"), values.push(query.toMs));
    if (query.before !== undefined) (where.push("(created < ? OR (created = ? AND payment_id < ?))"), values.push(query.before.created, query.before.created, query.before.paymentId));
    const sql = `SELECT * FROM payments ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created DESC, payment_id DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...values, query.limit) as PaymentRow[]).map(fromRow);
  }

  /** The most recently changed payment: what the display should show after a restart. */
  latestPayment(): Payment | undefined {
    const row = this.#db.prepare(`SELECT * FROM payments ORDER BY updated DESC LIMIT 1`).get() as PaymentRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  outboxEntry(requestId: string): OutboxEntry | undefined {
    const row = this.#db.prepare(`SELECT * FROM outbox WHERE request_id = ?`).get(requestId) as OutboxRow | undefined;
    return row ? fromOutboxRow(row) : undefined;
  }

  /** Unanswered requests whose last send is older than `sentBefore` (or never sent), oldest first. */
  unansweredRequests(sentBefore: number, limit: number): OutboxEntry[] {
    const rows = this.#db
      .prepare(`SELECT * FROM outbox WHERE acked_at IS NULL AND (sent_at IS NULL OR sent_at < ?) ORDER BY created LIMIT ?`)
      .all(sentBefore, limit) as OutboxRow[];
    return rows.map(fromOutboxRow);
  }

  /** Requests the server has not answered yet (for /v1/health). */
  outboxDepth(): number {
    return (this.#db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE acked_at IS NULL`).get() as { n: number }).n;
  }

  markSent(requestId: string, now: number): void {
    this.#db.prepare(`UPDATE outbox SET sent_at = ?, send_count = send_count + 1 WHERE request_id = ?`).run(now, requestId);
  }

  /** The server replied to this request: stop resending it. */
  markAnswered(requestId: string, now: number): void {
    this.#db.prepare(`UPDATE outbox SET acked_at = ? WHERE request_id = ? AND acked_at IS NULL`).run(now, requestId);
  }

  /** Queues a request that belongs to no payment (a report), with its report row, in one transaction. */
  queueReportRequest(request: Extract<RegisterRequest, { type: "report.request" }>, topic: string, now: number): void {
    this.#db.transaction(() => {
      this.#db
        .prepare(`INSERT INTO outbox (request_id, payment_id, type, topic, payload, created) VALUES (?, NULL, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING`)
        .run(request.requestId, request.type, topic, JSON.stringify(request), now);
      this.#db.prepare(`INSERT INTO reports (request_id, kind, created) VALUES (?, ?, ?) ON CONFLICT (request_id) DO NOTHING`).run(request.requestId, request.kind, now);
    })();
  }

  /** Stores the server's answer to a report request (the report, or its refusal). */
  answerReport(requestId: string, answer: { report: Report } | { error: { code: ErrorCode; message: string } }, now: number): void {
    const report = "report" in answer ? JSON.stringify(answer.report) : null;
    const error = "error" in answer ? JSON.stringify(answer.error) : null;
    this.#db.prepare(`UPDATE reports SET report = ?, error = ?, answered = ? WHERE request_id = ? AND answered IS NULL`).run(report, error, now, requestId);
  }

  markReportPrinted(requestId: string): void {
    this.#db.prepare(`UPDATE reports SET printed = 1 WHERE request_id = ?`).run(requestId);
  }

  getReport(requestId: string): ReportEntry | undefined {
    const row = this.#db.prepare(`SELECT * FROM reports WHERE request_id = ?`).get(requestId) as
      | { request_id: string; kind: string; report: string | null; error: string | null; printed: number }
      | undefined;
    if (row === undefined) return undefined;
    return {
      requestId: row.request_id,
      kind: row.kind === "z" ? "z" : "x",
      report: row.report === null ? undefined : (JSON.parse(row.report) as Report),
      error: row.error === null ? undefined : (JSON.parse(row.error) as { code: ErrorCode; message: string }),
      printed: row.printed === 1,
    };
  }

  /** Requests of a payment that is final need no reply any more (a status or cancel racing the result). */
  answerAllFor(paymentId: string, now: number): void {
    // Only the payment's own life-cycle requests: a void or refund sent after approval still waits for its reply.
    this.#db
      .prepare(`UPDATE outbox SET acked_at = ? WHERE payment_id = ? AND acked_at IS NULL AND type IN ('payment.create', 'payment.card', 'payment.cancel', 'payment.status')`)
      .run(now, paymentId);
  }
}

function toRow(payment: Payment): PaymentRow {
  return {
    payment_id: payment.paymentId,
    state: payment.state,
    amount_minor: payment.amount.minor,
    currency: payment.amount.currency,
    lines: JSON.stringify(payment.lines),
    create_request_id: payment.createRequestId,
    code: payment.code ?? null,
    expires_at: payment.expiresAt ?? null,
    reason: payment.reason ?? null,
    reference: payment.reference ?? null,
    receipt_printed: payment.receiptPrinted ? 1 : 0,
    cancel_requested: payment.cancelRequested ? 1 : 0,
    void_request_id: payment.voidRequestId ?? null,
    refunds: JSON.stringify(payment.refunds),
    tender: payment.tender ?? null,
    card_last4: payment.cardLast4 ?? null,
    card_error: payment.cardError ?? null,
    code_renewed: payment.codeRenewed === true ? 1 : 0,
    void_note: payment.voidNote ?? null,
    created: payment.createdAt,
    updated: payment.updatedAt,
  };
}

function fromRow(row: PaymentRow): Payment {
  return {
    paymentId: row.payment_id,
    state: row.state as AgentPaymentState,
    amount: { minor: row.amount_minor, currency: row.currency as CurrencyCode },
    lines: JSON.parse(row.lines) as ReceiptLine[],
    createRequestId: row.create_request_id,
    ...(row.code !== null ? { code: row.code } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.reason !== null ? { reason: row.reason as ErrorCode } : {}),
    ...(row.reference !== null ? { reference: row.reference } : {}),
    receiptPrinted: row.receipt_printed === 1,
    cancelRequested: row.cancel_requested === 1,
    ...(row.void_request_id !== null ? { voidRequestId: row.void_request_id } : {}),
    refunds: JSON.parse(row.refunds) as Refund[],
    ...(row.tender === "card" || row.tender === "code" ? { tender: row.tender } : {}),
    ...(row.card_last4 !== null ? { cardLast4: row.card_last4 } : {}),
    ...(row.card_error !== null ? { cardError: row.card_error } : {}),
    ...(row.code_renewed === 1 ? { codeRenewed: true } : {}),
    ...(row.void_note !== null ? { voidNote: row.void_note } : {}),
    createdAt: row.created,
    updatedAt: row.updated,
  };
}

function fromOutboxRow(row: OutboxRow): OutboxEntry {
  return {
    requestId: row.request_id,
    paymentId: row.payment_id,
    type: row.type as RegisterRequest["type"],
    topic: row.topic,
    payload: row.payload,
    sentAt: row.sent_at ?? undefined,
    sendCount: row.send_count,
  };
}
