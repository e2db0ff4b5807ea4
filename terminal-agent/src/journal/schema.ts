/** The journal's tables. Money as INTEGER minor units; times as epoch milliseconds. */
export const SCHEMA_VERSION = 1;

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
  created           INTEGER NOT NULL,
  updated           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_by_state ON payments (state);
CREATE TABLE IF NOT EXISTS outbox (
  request_id  TEXT PRIMARY KEY,
  payment_id  TEXT NOT NULL,
  type        TEXT NOT NULL,
  topic       TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created     INTEGER NOT NULL,
  sent_at     INTEGER,
  send_count  INTEGER NOT NULL DEFAULT 0,
  acked_at    INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_unacked ON outbox (acked_at, sent_at);
`;
