/**
 * The agent's crash-safe record: payments and the outbox of requests to the server (SQLite, WAL,
 * synchronous=FULL so a commit survives power loss). The outbox lives here, not in mqtt.js's store
 * (those stores lose messages across restarts). better-sqlite3 is synchronous: a write has hit the
 * disk when the call returns, which is what lets the link PUBACK a result only after storing it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { CurrencyCode, ErrorCode, RegisterRequest } from "@codepay/sync-server/protocol";
import { journalEntriesMax } from "../core/limits.js";
import type { AgentPaymentState, Payment, ReceiptLine } from "../core/payment.js";
import { SCHEMA_SQL, SCHEMA_VERSION } from "./schema.js";

export interface OutboxEntry {
  readonly requestId: string;
  readonly paymentId: string;
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
  created: number;
  updated: number;
}

interface OutboxRow {
  request_id: string;
  payment_id: string;
  type: string;
  topic: string;
  payload: string;
  sent_at: number | null;
  send_count: number;
}

export class Journal {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(file: string): Journal {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    db.exec(SCHEMA_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return new Journal(db);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Stores the payment and queues the requests, in one transaction. */
  write(payment: Payment, outbox: readonly { request: RegisterRequest; topic: string }[], now: number): void {
    const upsert = this.#db.prepare(`
      INSERT INTO payments (payment_id, state, amount_minor, currency, lines, create_request_id, code, expires_at, reason, reference, receipt_printed, cancel_requested, created, updated)
      VALUES (@payment_id, @state, @amount_minor, @currency, @lines, @create_request_id, @code, @expires_at, @reason, @reference, @receipt_printed, @cancel_requested, @created, @updated)
      ON CONFLICT (payment_id) DO UPDATE SET state = excluded.state, code = excluded.code, expires_at = excluded.expires_at,
        reason = excluded.reason, reference = excluded.reference, receipt_printed = excluded.receipt_printed,
        cancel_requested = excluded.cancel_requested, updated = excluded.updated`);
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

  markSent(requestId: string, now: number): void {
    this.#db.prepare(`UPDATE outbox SET sent_at = ?, send_count = send_count + 1 WHERE request_id = ?`).run(now, requestId);
  }

  /** The server replied to this request: stop resending it. */
  markAnswered(requestId: string, now: number): void {
    this.#db.prepare(`UPDATE outbox SET acked_at = ? WHERE request_id = ? AND acked_at IS NULL`).run(now, requestId);
  }

  /** Requests of a payment that is final need no reply any more (a status or cancel racing the result). */
  answerAllFor(paymentId: string, now: number): void {
    this.#db.prepare(`UPDATE outbox SET acked_at = ? WHERE payment_id = ? AND acked_at IS NULL`).run(now, paymentId);
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
