/**
 * The journal's tables, every table of the agent's one SQLite file: payments, outbox, reports and the
 * printer's durable queue (print_jobs). Money as INTEGER minor units; times as epoch milliseconds.
 */
export const SCHEMA_VERSION = 4;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS payments (
  payment_id        TEXT PRIMARY KEY,
  state             TEXT NOT NULL,
  amount_minor      INTEGER NOT NULL,
  currency          TEXT NOT NULL,
  lines             TEXT NOT NULL,
  create_request_id TEXT NOT NULL,
  code              TEXT,
  expires_at        INTEGER,
  reason            TEXT,
  reference         TEXT,
  receipt_printed   INTEGER NOT NULL DEFAULT 0,
  cancel_requested  INTEGER NOT NULL DEFAULT 0,
  void_request_id   TEXT,
  refunds           TEXT NOT NULL DEFAULT '[]',
  tender            TEXT,
  card_last4        TEXT,
  card_error        TEXT,
  code_renewed      INTEGER NOT NULL DEFAULT 0,
  void_note         TEXT,
  created           INTEGER NOT NULL,
  updated           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_by_state ON payments (state);
CREATE TABLE IF NOT EXISTS outbox (
  request_id  TEXT PRIMARY KEY,
  payment_id  TEXT,
  type        TEXT NOT NULL,
  topic       TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created     INTEGER NOT NULL,
  sent_at     INTEGER,
  send_count  INTEGER NOT NULL DEFAULT 0,
  acked_at    INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_unacked ON outbox (acked_at, sent_at);
CREATE TABLE IF NOT EXISTS reports (
  request_id  TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  report      TEXT,
  error       TEXT,
  created     INTEGER NOT NULL,
  answered    INTEGER,
  printed     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS print_jobs (
  job_id    TEXT PRIMARY KEY,
  receipt   TEXT NOT NULL,
  attempts  INTEGER NOT NULL DEFAULT 0,
  created   INTEGER NOT NULL,
  printed   INTEGER
);
CREATE INDEX IF NOT EXISTS print_jobs_pending ON print_jobs (printed, created);
`;

/**
 * Version 1 -> 2: outbox.payment_id becomes nullable (report requests belong to no payment; SQLite
 * cannot drop NOT NULL, so the table is rebuilt), payments gain the void and refund columns.
 */
export const MIGRATE_V1_TO_V2_SQL = `
ALTER TABLE payments ADD COLUMN void_request_id TEXT;
ALTER TABLE payments ADD COLUMN refunds TEXT NOT NULL DEFAULT '[]';
CREATE TABLE outbox_v2 (
  request_id  TEXT PRIMARY KEY,
  payment_id  TEXT,
  type        TEXT NOT NULL,
  topic       TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created     INTEGER NOT NULL,
  sent_at     INTEGER,
  send_count  INTEGER NOT NULL DEFAULT 0,
  acked_at    INTEGER
);
INSERT INTO outbox_v2 SELECT request_id, payment_id, type, topic, payload, created, sent_at, send_count, acked_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX IF NOT EXISTS outbox_unacked ON outbox (acked_at, sent_at);
`;

/** Version 2 -> 3: card tender (tender, the card's last 4 digits, the last bad swipe's error code). */
export const MIGRATE_V2_TO_V3_SQL = `
ALTER TABLE payments ADD COLUMN tender TEXT;
ALTER TABLE payments ADD COLUMN card_last4 TEXT;
ALTER TABLE payments ADD COLUMN card_error TEXT;
`;

/** Version 3 -> 4 (issue 17): the server renewed the payment's code (the display says NEW CODE); the cashier's reason for a void (its slip). */
export const MIGRATE_V3_TO_V4_SQL = `
ALTER TABLE payments ADD COLUMN code_renewed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN void_note TEXT;
`;
