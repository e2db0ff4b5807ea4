/**
 * The promises, checked on the durable state (the server's database, each register's journal, the
 * paper in each printer) through separate read connections, so they hold whether a node is up or not.
 *   - every currency sums to zero; balances equal their transfers; no shopper goes negative
 *   - at most one settling transfer per payment, of the payment's amount, and only for approved ones
 *   - no register shows approved (or any other final state) that the server did not decide
 *   - nothing printed for a payment the server did not approve; never two originals
 * After the network heals (`checkEventually`): every payment is final on both sides and the same;
 * every approved payment printed exactly one original (a print a crash interrupted may instead
 * leave a REPRINT); every result acknowledged and every request answered.
 */
import Database from "better-sqlite3";
import type { PrintedReceipt } from "./sim-agent.js";

interface ServerPaymentRow {
  payment_id: string;
  register_id: string;
  state: string;
  amount_minor: number;
  transfers: number;
  transferred_minor: number | null;
}

interface JournalPaymentRow {
  payment_id: string;
  state: string;
  receipt_printed: number;
}

export interface RegisterView {
  readonly registerId: string;
  readonly journal: Database.Database;
  readonly printed: readonly PrintedReceipt[];
  readonly interruptedPrints: ReadonlySet<string>;
}

const AGENT_FINAL_STATES = new Set(["approved", "declined", "expired", "cancelled"]);

export function openAuditor(file: string): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** Prepared once per connection: the checks run after every step. */
function query<Row>(db: Database.Database, sql: string, ...params: unknown[]): Row[] {
  let cache = statements.get(db);
  if (cache === undefined) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (statement === undefined) cache.set(sql, (statement = db.prepare(sql)));
  return statement.all(...params) as Row[];
}

function serverPayments(server: Database.Database): Map<string, ServerPaymentRow> {
  const rows = query<ServerPaymentRow>(
    server,
    `SELECT p.payment_id, p.register_id, p.state, p.amount_minor, COUNT(t.id) AS transfers, SUM(t.amount_minor) AS transferred_minor
       FROM payments p LEFT JOIN transfers t ON t.payment_id = p.payment_id AND t.kind = 'payment'
      GROUP BY p.payment_id`,
  );
  return new Map(rows.map((row) => [row.payment_id, row]));
}

export function checkLedger(server: Database.Database): string[] {
  const violations: string[] = [];
  for (const row of query<{ currency: string; total: number }>(server, `SELECT currency, SUM(balance_minor) AS total FROM accounts GROUP BY currency HAVING total != 0`)) {
    violations.push(`ledger: ${row.currency} sums to ${row.total}, not 0`);
  }
  const drift = query<{ id: string; balance_minor: number; from_transfers: number }>(
    server,
    `SELECT a.id, a.balance_minor, COALESCE(m.net, 0) AS from_transfers
       FROM accounts a LEFT JOIN (
         SELECT account_id, SUM(delta) AS net FROM (
           SELECT credit_account_id AS account_id, amount_minor AS delta FROM transfers
           UNION ALL SELECT debit_account_id, -amount_minor FROM transfers) GROUP BY account_id) m ON m.account_id = a.id
      WHERE a.balance_minor != COALESCE(m.net, 0)`,
  );
  for (const row of drift) violations.push(`ledger: account ${row.id} holds ${row.balance_minor} but its transfers sum to ${row.from_transfers}`);
  for (const row of query<{ id: string; balance_minor: number }>(server, `SELECT id, balance_minor FROM accounts WHERE kind = 'user' AND balance_minor < 0`)) {
    violations.push(`ledger: shopper account ${row.id} is negative (${row.balance_minor})`);
  }
  for (const payment of serverPayments(server).values()) {
    if (payment.transfers > 1) violations.push(`charged twice: payment ${payment.payment_id} has ${payment.transfers} settling transfers`);
    if (payment.state === "approved" && (payment.transfers !== 1 || payment.transferred_minor !== payment.amount_minor)) {
      violations.push(`payment ${payment.payment_id} is approved but its settling transfers are ${payment.transfers} for ${payment.transferred_minor}`);
    }
    if (payment.state !== "approved" && payment.transfers > 0) violations.push(`payment ${payment.payment_id} is ${payment.state} but money moved`);
  }
  return violations;
}

function journalPayments(journal: Database.Database): JournalPaymentRow[] {
  return query<JournalPaymentRow>(journal, `SELECT payment_id, state, receipt_printed FROM payments`);
}

export function checkRegisters(server: Database.Database, registers: readonly RegisterView[]): string[] {
  const violations: string[] = [];
  const payments = serverPayments(server);
  for (const register of registers) {
    for (const row of journalPayments(register.journal)) {
      const onServer = payments.get(row.payment_id);
      if (AGENT_FINAL_STATES.has(row.state) && onServer?.state !== row.state) {
        violations.push(`register ${register.registerId} shows payment ${row.payment_id} ${row.state}, the server has it ${onServer?.state ?? "unknown"}`);
      }
      if (row.receipt_printed === 1 && row.state !== "approved") violations.push(`register ${register.registerId} printed a receipt for ${row.state} payment ${row.payment_id}`);
    }
    const originals = new Map<string, number>();
    for (const receipt of register.printed) {
      const onServer = payments.get(receipt.paymentId);
      if (onServer?.state !== "approved") violations.push(`register ${register.registerId} printed a receipt for payment ${receipt.paymentId}, which the server has ${onServer?.state ?? "unknown"}`);
      if (!receipt.reprint) originals.set(receipt.paymentId, (originals.get(receipt.paymentId) ?? 0) + 1);
    }
    for (const [paymentId, count] of originals) {
      if (count > 1) violations.push(`register ${register.registerId} printed ${count} original receipts for payment ${paymentId} (a second one must say REPRINT)`);
    }
  }
  return violations;
}

/** After the network healed and every timer had time to run. */
export function checkEventually(server: Database.Database, registers: readonly RegisterView[]): string[] {
  const violations: string[] = [];
  const payments = serverPayments(server);
  for (const payment of payments.values()) {
    if (payment.state === "pending" || payment.state === "claimed") violations.push(`payment ${payment.payment_id} is still ${payment.state} on the server after its code expired`);
  }
  for (const row of server.prepare(`SELECT result_id, payment_id FROM outbox WHERE acked_at IS NULL`).all() as { result_id: string; payment_id: string }[]) {
    violations.push(`result ${row.result_id} of payment ${row.payment_id} never acknowledged by its register`);
  }
  for (const register of registers) {
    const journal = new Map(journalPayments(register.journal).map((row) => [row.payment_id, row]));
    for (const row of journal.values()) {
      if (row.state === "requested" || row.state === "issued") violations.push(`register ${register.registerId} still has payment ${row.payment_id} ${row.state}`);
    }
    for (const row of register.journal.prepare(`SELECT request_id, type FROM outbox WHERE acked_at IS NULL`).all() as { request_id: string; type: string }[]) {
      violations.push(`register ${register.registerId} request ${row.request_id} (${row.type}) never answered`);
    }
    for (const payment of payments.values()) {
      if (payment.register_id !== register.registerId) continue;
      const mine = journal.get(payment.payment_id);
      if (mine?.state !== payment.state) {
        violations.push(`payment ${payment.payment_id} is ${payment.state} on the server but ${mine?.state ?? "unknown"} at register ${register.registerId}`);
      }
      if (payment.state !== "approved") continue;
      const receipts = register.printed.filter((receipt) => receipt.paymentId === payment.payment_id);
      const originals = receipts.filter((receipt) => !receipt.reprint).length;
      const reprints = receipts.length - originals;
      if (register.interruptedPrints.has(payment.payment_id)) {
        if (originals > 1 || receipts.length === 0) violations.push(`approved payment ${payment.payment_id}: a crash interrupted its print, then ${originals} originals and ${reprints} reprints came out`);
      } else if (originals !== 1 || reprints !== 0) {
        violations.push(`approved payment ${payment.payment_id} printed ${originals} originals and ${reprints} reprints at register ${register.registerId}, not exactly one original`);
      }
      if (mine?.receipt_printed !== 1) violations.push(`approved payment ${payment.payment_id} not marked printed in the journal of ${register.registerId}`);
    }
  }
  return violations;
}
