/**
 * Row types as Kysely sees them. Money is integer minor units (BIGINT); times are epoch
 * milliseconds (BIGINT); flags are 0/1 integers so the same queries run on SQLite and PostgreSQL.
 */
import type { Generated } from "kysely";
import type { PaymentState, Tender } from "@codepay/contract";

export type AccountKind = "user" | "store" | "system";
export type TransferKind = "topup" | "payment" | "void" | "refund";
export type ReversalKind = "void" | "refund";

export interface StoresTable {
  id: string;
  name: string;
  currency: string;
  created_at: number;
}

export interface RegistersTable {
  id: string;
  store_id: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash` (see auth/password-hash.ts). */
  password_hash: string;
  /** The same password as mosquitto's `$7$` PBKDF2-SHA512 line (auth/mosquitto-password.ts); NULL before migration 0003. */
  broker_password_hash: string | null;
  disabled: Generated<number>;
  created_at: number;
}

/** Fleet health: the latest presence heard of each register (migration 0010). */
export interface RegisterPresenceTable {
  register_id: string;
  state: "online" | "offline";
  /** Epoch ms when the server heard it. */
  last_seen_at: number;
  agent_version: string | null;
  /** The reported devices' states, `{"printer":"paper-end",...}`; NULL when none were reported. */
  devices_json: string | null;
}

export interface UsersTable {
  id: string;
  name: string;
  created_at: number;
  /** scrypt hash of the PIN asked above the PIN threshold; NULL = no PIN set. */
  pin_hash: string | null;
}

export interface CarriersTable {
  id: string;
  /** Ed25519 public key, SPKI PEM. */
  public_key_pem: string;
  created_at: number;
}

export interface PhonesTable {
  phone_id: string;
  user_id: string;
  carrier: string;
  /** SHA-256 hex of the subscriber credential; the credential itself is never stored. */
  credential_sha256: string;
  created_at: number;
}

export interface AccountsTable {
  id: string;
  kind: AccountKind;
  owner_id: string;
  currency: string;
  balance_minor: number;
  created_at: number;
}

export interface TransfersTable {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount_minor: number;
  currency: string;
  kind: TransferKind;
  payment_id: string | null;
  created_at: number;
  /** Voids and refunds: the settling transfer they reverse. */
  reverses_transfer_id: string | null;
}

export interface PaymentsTable {
  /** The payment's name everywhere but on the register line (phones, ledger, outbox, operators). */
  payment_id: string;
  /** The register's own name for it (its client-made id): unique per register (migration 0008). */
  register_payment_id: string;
  store_id: string;
  register_id: string;
  amount_minor: number;
  currency: string;
  code: string;
  /** The code while the payment is open, NULL once final: the UNIQUE constraint makes codes unique among open payments. */
  open_code: string | null;
  /** The register's id while the payment is open, NULL once final: UNIQUE, so a register has one open payment (migration 0009). */
  open_register: string | null;
  state: PaymentState;
  reason: string | null;
  expires_at: number;
  claimed_by_phone: string | null;
  reference: string | null;
  lines_json: string | null;
  created_at: number;
  updated_at: number;
  tender: Generated<Tender>;
  card_last4: string | null;
  /** Register period the payment settled in. */
  period_number: number | null;
  /** Voids and refunds so far; a CHECK keeps it within amount_minor. */
  reversed_minor: Generated<number>;
  /** When a phone claimed it (migration 0011); NULL before, and for card payments. */
  claimed_at: number | null;
}

export interface ReversalsTable {
  transfer_id: string;
  payment_id: string;
  kind: ReversalKind;
  /** The client's refund id; "void" for the void. */
  refund_id: string;
  amount_minor: number;
  currency: string;
  tender: Tender;
  register_id: string;
  period_number: number;
  created_at: number;
}

export interface AuditLogTable {
  /** The chain the entry belongs to (audit_head.id); seq counts within it. */
  chain: Generated<number>;
  seq: number;
  transfer_id: string;
  entry_json: string;
  prev_hash: string;
  hash: string;
  created_at: number;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface PeriodsTable {
  register_id: string;
  number: number;
  opened_at: number;
  closed_at: number | null;
  z_request_id: string | null;
  report_json: string | null;
}

export interface CardsTable {
  token: string;
  user_id: string;
  last4: string;
  created_at: number;
}

export interface CarrierKeysTable {
  key_id: string;
  carrier_id: string;
  public_key_pem: string;
  created_at: number;
  retired_at: number | null;
}

export interface GuessLimitsTable {
  subject: string;
  failures: number;
  window_started_at: number;
  blocked_until: number;
  rotations_failures: Generated<number>;
}

export interface PairingsTable {
  code_sha256: string;
  register_id: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

export interface IdempotencyTable {
  scope: string;
  request_id: string;
  request_hash: string;
  response_json: string;
  created_at: number;
}

export interface OutboxTable {
  result_id: string;
  store_id: string;
  register_id: string;
  payment_id: string;
  message_json: string;
  created_at: number;
  sent_at: number | null;
  acked_at: number | null;
}

/** Carrier assertion nonces seen by any server instance (shopper-api/shared-nonce-store.ts). */
export interface AssertionNoncesTable {
  nonce: string;
  expires_at: number;
}

/** One row: moved by a trigger whenever a reference row changes (PostgreSQL; migration 0006). */
export interface ReferenceVersionTable {
  id: number;
  version: number;
}

export type OperatorRole = "admin" | "store";

/** Operator console accounts (migration 0011). */
export interface OperatorsTable {
  id: string;
  username: string;
  /** scrypt (auth/password-hash.ts). */
  password_hash: string;
  role: OperatorRole;
  /** The one store a "store" operator sees; NULL for "admin". */
  store_id: string | null;
  disabled: Generated<number>;
  failed_sign_ins: Generated<number>;
  /** Epoch ms; sign-ins are refused until then. */
  locked_until: Generated<number>;
  created_at: number;
}

export interface OperatorSessionsTable {
  /** SHA-256 (hex) of the cookie's random token: the token itself is never stored. */
  token_sha256: string;
  operator_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  /** Absolute end; the idle end is last_seen_at + limits.consoleSessionIdleMs. */
  expires_at: number;
}

export interface OperatorAuditTable {
  id: string;
  operator_id: string;
  action: string;
  target: string | null;
  detail_json: string;
  at: number;
}

export interface DatabaseSchema {
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
  operator_audit: OperatorAuditTable;
  stores: StoresTable;
  registers: RegistersTable;
  register_presence: RegisterPresenceTable;
  users: UsersTable;
  carriers: CarriersTable;
  phones: PhonesTable;
  accounts: AccountsTable;
  transfers: TransfersTable;
  payments: PaymentsTable;
  idempotency: IdempotencyTable;
  outbox: OutboxTable;
  reversals: ReversalsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  periods: PeriodsTable;
  cards: CardsTable;
  carrier_keys: CarrierKeysTable;
  guess_limits: GuessLimitsTable;
  pairings: PairingsTable;
  assertion_nonces: AssertionNoncesTable;
  reference_version: ReferenceVersionTable;
}
