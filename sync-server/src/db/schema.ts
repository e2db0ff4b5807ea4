/**
 * Row types as Kysely sees them. Money is integer minor units (BIGINT); times are epoch
 * milliseconds (BIGINT); flags are 0/1 integers so the same queries run on SQLite and PostgreSQL.
 */
import type { Generated } from "kysely";
import type { PaymentState } from "../protocol/index.js";

export type AccountKind = "user" | "store" | "system";
export type TransferKind = "topup" | "payment";

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
  disabled: Generated<number>;
  created_at: number;
}

export interface UsersTable {
  id: string;
  name: string;
  created_at: number;
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
}

export interface PaymentsTable {
  payment_id: string;
  store_id: string;
  register_id: string;
  amount_minor: number;
  currency: string;
  code: string;
  /** The code while the payment is open, NULL once final: the UNIQUE constraint makes codes unique among open payments. */
  open_code: string | null;
  state: PaymentState;
  reason: string | null;
  expires_at: number;
  claimed_by_phone: string | null;
  reference: string | null;
  lines_json: string | null;
  created_at: number;
  updated_at: number;
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

export interface DatabaseSchema {
  stores: StoresTable;
  registers: RegistersTable;
  users: UsersTable;
  carriers: CarriersTable;
  phones: PhonesTable;
  accounts: AccountsTable;
  transfers: TransfersTable;
  payments: PaymentsTable;
  idempotency: IdempotencyTable;
  outbox: OutboxTable;
}
