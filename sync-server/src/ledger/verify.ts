/** Loads the ledger snapshot from the database and checks it (`codepay-server admin verify`). */
import type { Queryable } from "../db/database.js";
import { listAccounts, listTransfers } from "../db/repositories/accounts.js";
import { listAuditRows, readAuditHead } from "../db/repositories/audit.js";
import { listAllPayments } from "../db/repositories/payments.js";
import { listReversals } from "../db/repositories/reversals.js";
import { checkLedger, type LedgerSnapshot, type Violation } from "./invariants.js";

export interface VerifyReport {
  readonly ok: boolean;
  readonly violations: readonly Violation[];
  readonly checked: { readonly accounts: number; readonly transfers: number; readonly payments: number; readonly reversals: number; readonly auditEntries: number };
}

export async function loadLedgerSnapshot(db: Queryable): Promise<LedgerSnapshot> {
  const [accounts, transfers, payments, reversals, audit, auditHead] = await Promise.all([
    listAccounts(db),
    listTransfers(db),
    listAllPayments(db),
    listReversals(db),
    listAuditRows(db),
    readAuditHead(db),
  ]);
  return { accounts, transfers, payments, reversals, audit, auditHead };
}

export async function verifyLedger(db: Queryable): Promise<VerifyReport> {
  const snapshot = await loadLedgerSnapshot(db);
  const violations = checkLedger(snapshot);
  return {
    ok: violations.length === 0,
    violations,
    checked: {
      accounts: snapshot.accounts.length,
      transfers: snapshot.transfers.length,
      payments: snapshot.payments.length,
      reversals: snapshot.reversals.length,
      auditEntries: snapshot.audit.length,
    },
  };
}
