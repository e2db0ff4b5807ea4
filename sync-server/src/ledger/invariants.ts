/**
 * Every invariant of the ledger, checked over a snapshot of the database, pure. `admin verify` and
 * the property tests run it; each violation names what is wrong and where.
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
  readonly audit: readonly { seq: number; transferId: string; entryJson: string; prevHash: string; hash: string }[];
  readonly auditHead: { readonly seq: number; readonly hash: string };
}

export function checkLedger(snapshot: LedgerSnapshot): Violation[] {
  return [...checkBalances(snapshot), ...checkSettlements(snapshot), ...checkReversals(snapshot), ...checkAudit(snapshot)];
}

function checkBalances(snapshot: LedgerSnapshot): Violation[] {
  const violations: Violation[] = [];
  const totals = new Map<string, number>();
  const computed = new Map<string, number>();
  for (const t of snapshot.transfers) {
    computed.set(t.debitAccountId, (computed.get(t.debitAccountId) ?? 0) - t.amountMinor);
    computed.set(t.creditAccountId, (computed.get(t.creditAccountId) ?? 0) + t.amountMinor);
  }
  for (const account of snapshot.accounts) {
    totals.set(account.currency, (totals.get(account.currency) ?? 0) + account.balanceMinor);
    const expected = computed.get(account.id) ?? 0;
    if (expected !== account.balanceMinor) {
      violations.push({ code: "BALANCE_MISMATCH", message: `account ${account.kind}/${account.ownerId}/${account.currency} holds ${account.balanceMinor} but its transfers add up to ${expected}` });
    }
    if (account.kind === "user" && account.balanceMinor < 0) {
      violations.push({ code: "NEGATIVE_USER_BALANCE", message: `user account ${account.ownerId}/${account.currency} is at ${account.balanceMinor}` });
    }
  }
  for (const [currency, total] of totals) {
    if (total !== 0) violations.push({ code: "CURRENCY_NOT_ZERO", message: `${currency} balances sum to ${total}, not 0` });
  }
  return violations;
}

function checkSettlements(snapshot: LedgerSnapshot): Violation[] {
  const violations: Violation[] = [];
  const settling = new Map<string, LedgerSnapshot["transfers"][number][]>();
  for (const t of snapshot.transfers) {
    if (t.kind !== "payment" || t.paymentId === null) continue;
    settling.set(t.paymentId, [...(settling.get(t.paymentId) ?? []), t]);
  }
  for (const payment of snapshot.payments) {
    const transfers = settling.get(payment.paymentId) ?? [];
    const settled = payment.state === "approved" || payment.state === "voided";
    if (transfers.length > 1) violations.push({ code: "SETTLEMENT_DUPLICATE", message: `payment ${payment.paymentId} has ${transfers.length} settling transfers` });
    if (settled && transfers.length === 0) violations.push({ code: "SETTLEMENT_MISSING", message: `payment ${payment.paymentId} is ${payment.state} but has no settling transfer` });
    if (!settled && transfers.length > 0) violations.push({ code: "SETTLEMENT_MISSING", message: `payment ${payment.paymentId} is ${payment.state} but money moved for it` });
    for (const t of transfers) {
      if (t.amountMinor !== payment.amountMinor) violations.push({ code: "SETTLEMENT_AMOUNT", message: `payment ${payment.paymentId} is for ${payment.amountMinor} but transfer ${t.id} moved ${t.amountMinor}` });
    }
  }
  return violations;
}

function checkReversals(snapshot: LedgerSnapshot): Violation[] {
  const violations: Violation[] = [];
  const payments = new Map(snapshot.payments.map((p) => [p.paymentId, p]));
  const transfers = new Map(snapshot.transfers.map((t) => [t.id, t]));
  const reversedByPayment = new Map<string, number>();
  for (const reversal of snapshot.reversals) {
    reversedByPayment.set(reversal.paymentId, (reversedByPayment.get(reversal.paymentId) ?? 0) + reversal.amountMinor);
    const transfer = transfers.get(reversal.transferId);
    const payment = payments.get(reversal.paymentId);
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
      payment !== undefined;
    if (!linked) violations.push({ code: "REVERSAL_UNLINKED", message: `${reversal.kind} ${reversal.transferId} does not reverse the settling transfer of payment ${reversal.paymentId}` });
  }
  for (const t of snapshot.transfers) {
    if ((t.kind === "void" || t.kind === "refund") && !snapshot.reversals.some((r) => r.transferId === t.id)) {
      violations.push({ code: "REVERSAL_UNLINKED", message: `${t.kind} transfer ${t.id} has no reversal record` });
    }
  }
  for (const payment of snapshot.payments) {
    const reversed = reversedByPayment.get(payment.paymentId) ?? 0;
    if (reversed > payment.amountMinor) violations.push({ code: "REVERSAL_EXCEEDS_ORIGINAL", message: `payment ${payment.paymentId} of ${payment.amountMinor} has ${reversed} reversed` });
    if (reversed !== payment.reversedMinor) violations.push({ code: "REVERSAL_TOTAL_MISMATCH", message: `payment ${payment.paymentId} records ${payment.reversedMinor} reversed, its reversals add up to ${reversed}` });
  }
  return violations;
}

function checkAudit(snapshot: LedgerSnapshot): Violation[] {
  const violations: Violation[] = [];
  const audited = new Map(snapshot.audit.map((row) => [row.transferId, row]));
  for (const t of snapshot.transfers) {
    const row = audited.get(t.id);
    if (row === undefined) {
      violations.push({ code: "AUDIT_MISSING", message: `transfer ${t.id} has no audit entry` });
      continue;
    }
    const expected = canonicalEntry(row.seq, { ...t, reversesTransferId: t.reversesTransferId ?? null });
    if (expected !== row.entryJson) violations.push({ code: "AUDIT_ENTRY_MISMATCH", message: `transfer ${t.id} differs from audit entry ${row.seq}` });
  }
  const transferIds = new Set(snapshot.transfers.map((t) => t.id));
  let previous = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of snapshot.audit) {
    if (!transferIds.has(row.transferId)) violations.push({ code: "AUDIT_MISSING", message: `audit entry ${row.seq} names transfer ${row.transferId}, which does not exist` });
    if (row.seq !== expectedSeq) violations.push({ code: "AUDIT_CHAIN_BROKEN", message: `audit entry ${row.seq} where ${expectedSeq} was expected` });
    if (row.prevHash !== previous) violations.push({ code: "AUDIT_CHAIN_BROKEN", message: `audit entry ${row.seq} does not link to the entry before it` });
    if (chainHash(row.prevHash, row.entryJson) !== row.hash) violations.push({ code: "AUDIT_CHAIN_BROKEN", message: `audit entry ${row.seq} hash does not recompute` });
    previous = row.hash;
    expectedSeq = row.seq + 1;
  }
  if (snapshot.auditHead.seq !== snapshot.audit.length || snapshot.auditHead.hash !== previous) {
    violations.push({ code: "AUDIT_HEAD_MISMATCH", message: `audit head is at ${snapshot.auditHead.seq}, the chain has ${snapshot.audit.length} entries` });
  }
  return violations;
}
