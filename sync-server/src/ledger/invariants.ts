/**
 * Every invariant of the ledger, pure; each violation names what is wrong and where. The checks work
 * on batches of rows plus what those rows point at, so `admin verify` (ledger/verify.ts) can stream
 * the database in keyset pages, and `checkLedger` runs the very same checks over a whole snapshot
 * (the property tests): one rule, one verdict, whatever the batch size.
 */
import { canonicalEntry, chainHash, GENESIS_HASH } from "./audit-chain.js";

export const VIOLATION_CODES = [
  "CURRENCY_NOT_ZERO", // a currency's balances do not sum to zero
  "BALANCE_MISMATCH", // an account's balance is not what its transfers add up to
  "NEGATIVE_USER_BALANCE", // a user account below zero (overdraft)
  "SETTLEMENT_DUPLICATE", // more than one settling transfer for one payment
  "SETTLEMENT_MISSING", // an approved or voided payment without its settling transfer, or a settled payment in another state
  "SETTLEMENT_AMOUNT", // the settling transfer moved a different amount than the payment's
  "REVERSAL_EXCEEDS_ORIGINAL", // voids and refunds of a payment add up to more than it
  "REVERSAL_TOTAL_MISMATCH", // payments.reversed_minor differs from its reversal rows
  "REVERSAL_UNLINKED", // a void/refund transfer that does not reverse the payment's settling transfer
  "AUDIT_MISSING", // a transfer without an audit entry, or an audit entry without a transfer
  "AUDIT_ENTRY_MISMATCH", // an audit entry that does not describe its transfer as it now is
  "AUDIT_CHAIN_BROKEN", // a hash or link of the chain does not recompute
  "AUDIT_HEAD_MISMATCH", // the head does not point at the last entry
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export interface Violation {
  readonly code: ViolationCode;
  readonly message: string;
}

export interface LedgerSnapshot {
  readonly accounts: readonly { id: string; kind: string; ownerId: string; currency: string; balanceMinor: number }[];
  readonly transfers: readonly {
    id: string;
    debitAccountId: string;
    creditAccountId: string;
    amountMinor: number;
    currency: string;
    kind: string;
    paymentId: string | null;
    reversesTransferId?: string | null | undefined;
    createdAt: number;
  }[];
  readonly payments: readonly { paymentId: string; state: string; amountMinor: number; reversedMinor: number; reference: string | null }[];
  readonly reversals: readonly { transferId: string; paymentId: string; kind: string; amountMinor: number }[];
  /** Every chain's entries, chain by chain, each in seq order. */
  readonly audit: readonly { chain: number; seq: number; transferId: string; entryJson: string; prevHash: string; hash: string }[];
  /** One head per chain (audit_head.id is the chain). */
  readonly auditHeads: readonly { readonly chain: number; readonly seq: number; readonly hash: string }[];
}

type Account = LedgerSnapshot["accounts"][number];
type Transfer = LedgerSnapshot["transfers"][number];
type Payment = LedgerSnapshot["payments"][number];
type Reversal = LedgerSnapshot["reversals"][number];
type AuditEntry = LedgerSnapshot["audit"][number];

export function checkLedger(snapshot: LedgerSnapshot): Violation[] {
  const sums = new Map<string, number>();
  addTransferSums(sums, snapshot.transfers);
  const totals = new Map<string, number>();
  const balances = [...checkAccounts(snapshot.accounts, sums, totals), ...checkCurrencyTotals(totals)];
  const settlements = checkSettlements(snapshot.payments, snapshot.transfers);
  const transfersById = new Map(snapshot.transfers.map((t) => [t.id, t]));
  const reversed = new Map<string, number>();
  addReversalTotals(reversed, snapshot.reversals);
  const records = checkTransferRecords(snapshot.transfers, auditByTransfer(snapshot.audit), new Set(snapshot.reversals.map((r) => r.transferId)));
  const reversals = [
    ...checkReversalLinks(snapshot.reversals, transfersById, new Set(snapshot.payments.map((p) => p.paymentId))),
    ...records.unrecordedReversals,
    ...checkReversalTotals(snapshot.payments, reversed),
  ];
  const chains = newAuditChains();
  const audit = [...records.audit, ...checkAuditChains(chains, snapshot.audit, new Set(transfersById.keys())), ...checkAuditHeads(chains, snapshot.auditHeads)];
  return [...balances, ...settlements, ...reversals, ...audit];
}

/** Adds each transfer to the balances its two accounts should hold (debit minus, credit plus). */
export function addTransferSums(sums: Map<string, number>, transfers: Iterable<Transfer>): void {
  for (const t of transfers) {
    sums.set(t.debitAccountId, (sums.get(t.debitAccountId) ?? 0) - t.amountMinor);
    sums.set(t.creditAccountId, (sums.get(t.creditAccountId) ?? 0) + t.amountMinor);
  }
}

/** Each account against the sum of its transfers (`sums`, over every transfer); adds balances to the per-currency `totals`. */
export function checkAccounts(accounts: Iterable<Account>, sums: ReadonlyMap<string, number>, totals: Map<string, number>): Violation[] {
  const violations: Violation[] = [];
  for (const account of accounts) {
    totals.set(account.currency, (totals.get(account.currency) ?? 0) + account.balanceMinor);
    const expected = sums.get(account.id) ?? 0;
    if (expected !== account.balanceMinor) {
      violations.push({ code: "BALANCE_MISMATCH", message: `account ${account.kind}/${account.ownerId}/${account.currency} holds ${account.balanceMinor} but its transfers add up to ${expected}` });
    }
    if (account.kind === "user" && account.balanceMinor < 0) {
      violations.push({ code: "NEGATIVE_USER_BALANCE", message: `user account ${account.ownerId}/${account.currency} is at ${account.balanceMinor}` });
    }
  }
  return violations;
}

export function checkCurrencyTotals(totals: ReadonlyMap<string, number>): Violation[] {
  const violations: Violation[] = [];
  for (const [currency, total] of totals) {
    if (total !== 0) violations.push({ code: "CURRENCY_NOT_ZERO", message: `${currency} balances sum to ${total}, not 0` });
  }
  return violations;
}

/** Payments against their settling transfers; `transfers` must hold every transfer naming any of these payments. */
export function checkSettlements(payments: Iterable<Payment>, transfers: Iterable<Transfer>): Violation[] {
  const violations: Violation[] = [];
  const settling = new Map<string, Transfer[]>();
  for (const t of transfers) {
    if (t.kind !== "payment" || t.paymentId === null) continue;
    settling.set(t.paymentId, [...(settling.get(t.paymentId) ?? []), t]);
  }
  for (const payment of payments) {
    const found = settling.get(payment.paymentId) ?? [];
    const settled = payment.state === "approved" || payment.state === "voided";
    if (found.length > 1) violations.push({ code: "SETTLEMENT_DUPLICATE", message: `payment ${payment.paymentId} has ${found.length} settling transfers` });
    if (settled && found.length === 0) violations.push({ code: "SETTLEMENT_MISSING", message: `payment ${payment.paymentId} is ${payment.state} but has no settling transfer` });
    if (!settled && found.length > 0) violations.push({ code: "SETTLEMENT_MISSING", message: `payment ${payment.paymentId} is ${payment.state} but money moved for it` });
    for (const t of found) {
      if (t.amountMinor !== payment.amountMinor) violations.push({ code: "SETTLEMENT_AMOUNT", message: `payment ${payment.paymentId} is for ${payment.amountMinor} but transfer ${t.id} moved ${t.amountMinor}` });
    }
  }
  return violations;
}

/** Adds each reversal to its payment's reversed total. */
export function addReversalTotals(reversed: Map<string, number>, reversals: Iterable<Reversal>): void {
  for (const reversal of reversals) reversed.set(reversal.paymentId, (reversed.get(reversal.paymentId) ?? 0) + reversal.amountMinor);
}

/**
 * Each reversal record against its transfer and the settling transfer that one reverses.
 * `transfers` must hold the reversals' transfers and the transfers those reverse; `paymentIds` which of their payments exist.
 */
export function checkReversalLinks(reversals: Iterable<Reversal>, transfers: ReadonlyMap<string, Transfer>, paymentIds: ReadonlySet<string>): Violation[] {
  const violations: Violation[] = [];
  for (const reversal of reversals) {
    const transfer = transfers.get(reversal.transferId);
    const original = transfer?.reversesTransferId == null ? undefined : transfers.get(transfer.reversesTransferId);
    const linked =
      transfer !== undefined &&
      transfer.kind === reversal.kind &&
      transfer.amountMinor === reversal.amountMinor &&
      original !== undefined &&
      original.kind === "payment" &&
      original.paymentId === reversal.paymentId &&
      transfer.debitAccountId === original.creditAccountId &&
      transfer.creditAccountId === original.debitAccountId &&
      paymentIds.has(reversal.paymentId);
    if (!linked) violations.push({ code: "REVERSAL_UNLINKED", message: `${reversal.kind} ${reversal.transferId} does not reverse the settling transfer of payment ${reversal.paymentId}` });
  }
  return violations;
}

/** Each payment's recorded reversed amount against its reversal rows (`reversed`, over every reversal). */
export function checkReversalTotals(payments: Iterable<Payment>, reversed: ReadonlyMap<string, number>): Violation[] {
  const violations: Violation[] = [];
  for (const payment of payments) {
    const total = reversed.get(payment.paymentId) ?? 0;
    if (total > payment.amountMinor) violations.push({ code: "REVERSAL_EXCEEDS_ORIGINAL", message: `payment ${payment.paymentId} of ${payment.amountMinor} has ${total} reversed` });
    if (total !== payment.reversedMinor) violations.push({ code: "REVERSAL_TOTAL_MISMATCH", message: `payment ${payment.paymentId} records ${payment.reversedMinor} reversed, its reversals add up to ${total}` });
  }
  return violations;
}

/** The audit entry of each transfer id, the last by seq where (after tampering) there are several. */
export function auditByTransfer(rows: Iterable<AuditEntry>): Map<string, AuditEntry> {
  return new Map([...rows].map((row) => [row.transferId, row]));
}

/**
 * Each transfer against its audit entry and, for voids and refunds, its reversal record. `audit`
 * must hold the entries of these transfers; `reversalTransferIds` which of them have a reversal record.
 */
export function checkTransferRecords(
  transfers: Iterable<Transfer>,
  audit: ReadonlyMap<string, AuditEntry>,
  reversalTransferIds: ReadonlySet<string>,
): { unrecordedReversals: Violation[]; audit: Violation[] } {
  const unrecordedReversals: Violation[] = [];
  const violations: Violation[] = [];
  for (const t of transfers) {
    if ((t.kind === "void" || t.kind === "refund") && !reversalTransferIds.has(t.id)) {
      unrecordedReversals.push({ code: "REVERSAL_UNLINKED", message: `${t.kind} transfer ${t.id} has no reversal record` });
    }
    const row = audit.get(t.id);
    if (row === undefined) {
      violations.push({ code: "AUDIT_MISSING", message: `transfer ${t.id} has no audit entry` });
      continue;
    }
    const expected = canonicalEntry(row.seq, { ...t, reversesTransferId: t.reversesTransferId ?? null });
    if (expected !== row.entryJson) violations.push({ code: "AUDIT_ENTRY_MISMATCH", message: `transfer ${t.id} differs from audit entry ${row.seq}` });
  }
  return { unrecordedReversals, audit: violations };
}

/** Where a walk of one audit chain stands between pages. */
export interface AuditChainWalk {
  previousHash: string;
  expectedSeq: number;
  entries: number;
}

/** Every chain's walk, by chain number. */
export type AuditChainsWalk = Map<number, AuditChainWalk>;

export function newAuditChains(): AuditChainsWalk {
  return new Map();
}

/**
 * The next entries, chain by chain and each chain in seq order (pages may split a chain anywhere);
 * `transferIds` says which of the transfers they name exist. Each chain starts at seq 1 after the
 * genesis hash and links entry to entry. Advances `walks`.
 */
export function checkAuditChains(walks: AuditChainsWalk, rows: Iterable<AuditEntry>, transferIds: ReadonlySet<string>): Violation[] {
  const violations: Violation[] = [];
  for (const row of rows) {
    let walk = walks.get(row.chain);
    if (walk === undefined) {
      walk = { previousHash: GENESIS_HASH, expectedSeq: 1, entries: 0 };
      walks.set(row.chain, walk);
    }
    const name = `audit entry ${row.chain}/${row.seq}`;
    if (!transferIds.has(row.transferId)) violations.push({ code: "AUDIT_MISSING", message: `${name} names transfer ${row.transferId}, which does not exist` });
    if (row.seq !== walk.expectedSeq) violations.push({ code: "AUDIT_CHAIN_BROKEN", message: `${name} where ${walk.expectedSeq} was expected` });
    if (row.prevHash !== walk.previousHash) violations.push({ code: "AUDIT_CHAIN_BROKEN", message: `${name} does not link to the entry before it` });
    if (chainHash(row.prevHash, row.entryJson) !== row.hash) violations.push({ code: "AUDIT_CHAIN_BROKEN", message: `${name} hash does not recompute` });
    walk.previousHash = row.hash;
    walk.expectedSeq = row.seq + 1;
    walk.entries += 1;
  }
  return violations;
}

/** After every chain: each head points at its chain's last entry, and every chain with entries has a head. */
export function checkAuditHeads(walks: AuditChainsWalk, heads: LedgerSnapshot["auditHeads"]): Violation[] {
  const violations: Violation[] = [];
  const headed = new Set<number>();
  for (const head of heads) {
    headed.add(head.chain);
    const walk = walks.get(head.chain) ?? { previousHash: GENESIS_HASH, expectedSeq: 1, entries: 0 };
    if (head.seq !== walk.entries || head.hash !== walk.previousHash) {
      violations.push({ code: "AUDIT_HEAD_MISMATCH", message: `audit head of chain ${head.chain} is at ${head.seq}, the chain has ${walk.entries} entries` });
    }
  }
  for (const [chain, walk] of walks) {
    if (!headed.has(chain)) violations.push({ code: "AUDIT_HEAD_MISMATCH", message: `audit chain ${chain} has ${walk.entries} entries and no head` });
  }
  return violations;
}
