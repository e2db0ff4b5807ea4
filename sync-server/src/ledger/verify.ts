/**
 * `codepay-server admin verify`: streams the ledger in keyset pages (ledger-pages.ts) through the
 * pure checks of invariants.ts, inside the caller's one read transaction. A page and the rows it
 * points at are in memory at a time, plus two running sums: the balance each account should hold
 * (one number per account) and the reversed total of each payment with a void or refund. Five passes:
 *   1. transfers: per-account sums; each transfer against its audit entry and reversal record
 *   2. accounts: each balance against its sum; per-currency totals
 *   3. reversals: each linked to the settling transfer it reverses; reversed totals
 *   4. payments: each against its settling transfers and its reversed total
 *   5. audit log, chain by chain in seq order: each chain recomputes and every entry names a transfer; each head
 */
import type { Queryable } from "../db/database.js";
import { listAccounts, listTransfers } from "../db/repositories/accounts.js";
import { listAuditRows, readAuditHeads } from "../db/repositories/audit.js";
import {
  accountPages,
  auditPages,
  auditRowsOfTransfers,
  paymentIdsAmong,
  paymentPages,
  reversalPages,
  reversalTransferIdsAmong,
  transferIdsAmong,
  transferPages,
  transfersByIds,
  transfersOfPayments,
} from "../db/repositories/ledger-pages.js";
import { listAllPayments } from "../db/repositories/payments.js";
import { listReversals } from "../db/repositories/reversals.js";
import { limits } from "../limits.js";
import {
  addReversalTotals,
  addTransferSums,
  auditByTransfer,
  checkAccounts,
  checkAuditChains,
  checkAuditHeads,
  checkCurrencyTotals,
  checkReversalLinks,
  checkReversalTotals,
  checkSettlements,
  checkTransferRecords,
  newAuditChains,
  type LedgerSnapshot,
  type Violation,
} from "./invariants.js";

export interface VerifyReport {
  readonly ok: boolean;
  readonly violations: readonly Violation[];
  readonly checked: { readonly accounts: number; readonly transfers: number; readonly payments: number; readonly reversals: number; readonly auditEntries: number };
}

export interface VerifyOptions {
  /** Rows per keyset page (default limits.ledgerVerifyPageRows; tests use tiny pages to cross page boundaries). */
  readonly pageRows?: number;
}

/** The whole ledger in memory, for the property tests and the simulation; `admin verify` streams instead. */
export async function loadLedgerSnapshot(db: Queryable): Promise<LedgerSnapshot> {
  const [accounts, transfers, payments, reversals, audit, auditHeads] = await Promise.all([
    listAccounts(db),
    listTransfers(db),
    listAllPayments(db),
    listReversals(db),
    listAuditRows(db),
    readAuditHeads(db),
  ]);
  return { accounts, transfers, payments, reversals, audit, auditHeads };
}

export async function verifyLedger(db: Queryable, options: VerifyOptions = {}): Promise<VerifyReport> {
  const pageRows = options.pageRows ?? limits.ledgerVerifyPageRows;
  if (!Number.isInteger(pageRows) || pageRows < 1) throw new Error(`pageRows must be a positive integer (got ${pageRows})`);
  // Violations by family, so the report lists them in the order checkLedger does.
  const found = { balances: [] as Violation[], settlements: [] as Violation[], reversals: [] as Violation[], unrecorded: [] as Violation[], totals: [] as Violation[], audit: [] as Violation[], chain: [] as Violation[] };
  const checked = { accounts: 0, transfers: 0, payments: 0, reversals: 0, auditEntries: 0 };

  const sums = new Map<string, number>();
  for await (const transfers of transferPages(db, pageRows)) {
    checked.transfers += transfers.length;
    addTransferSums(sums, transfers);
    const ids = transfers.map((t) => t.id);
    const reversalIds = transfers.filter((t) => t.kind === "void" || t.kind === "refund").map((t) => t.id);
    const records = checkTransferRecords(transfers, auditByTransfer(await auditRowsOfTransfers(db, ids)), await reversalTransferIdsAmong(db, reversalIds));
    found.unrecorded.push(...records.unrecordedReversals);
    found.audit.push(...records.audit);
  }

  const totals = new Map<string, number>();
  for await (const accounts of accountPages(db, pageRows)) {
    checked.accounts += accounts.length;
    found.balances.push(...checkAccounts(accounts, sums, totals));
  }
  sums.clear();
  found.balances.push(...checkCurrencyTotals(totals));

  const reversed = new Map<string, number>();
  for await (const reversals of reversalPages(db, pageRows)) {
    checked.reversals += reversals.length;
    addReversalTotals(reversed, reversals);
    const own = await transfersByIds(db, reversals.map((r) => r.transferId));
    const originals = await transfersByIds(db, own.flatMap((t) => (t.reversesTransferId == null ? [] : [t.reversesTransferId])));
    const transfers = new Map([...own, ...originals].map((t) => [t.id, t]));
    found.reversals.push(...checkReversalLinks(reversals, transfers, await paymentIdsAmong(db, reversals.map((r) => r.paymentId))));
  }

  for await (const payments of paymentPages(db, pageRows)) {
    checked.payments += payments.length;
    found.settlements.push(...checkSettlements(payments, await transfersOfPayments(db, payments.map((p) => p.paymentId))));
    found.totals.push(...checkReversalTotals(payments, reversed));
  }

  const walks = newAuditChains();
  for await (const rows of auditPages(db, pageRows)) {
    found.chain.push(...checkAuditChains(walks, rows, await transferIdsAmong(db, rows.map((row) => row.transferId))));
  }
  checked.auditEntries = [...walks.values()].reduce((total, walk) => total + walk.entries, 0);
  found.chain.push(...checkAuditHeads(walks, await readAuditHeads(db)));

  const violations = [...found.balances, ...found.settlements, ...found.reversals, ...found.unrecorded, ...found.totals, ...found.audit, ...found.chain];
  return { ok: violations.length === 0, violations, checked };
}
