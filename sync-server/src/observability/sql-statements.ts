/**
 * SQL statements this process has sent to its database since start, on the serving path and any other.
 * Every way the server reaches its database counts here (the Kysely drivers and the batched engine), so
 * `codepay_sql_statements_total` divided by payments is the bench's `statements_per_payment`.
 * Transaction control counts as a statement: BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE.
 *
 * Write transactions beside them (`codepay_sql_write_transactions_total`, the bench's
 * `write_transactions_per_payment`): a COMMIT of a transaction that changed something (or tried to),
 * and every changing statement run outside a transaction (SQLite and PostgreSQL autocommit it: it is
 * a transaction of its own). A read-only transaction is not one; a rolled-back one is not either.
 *
 * Process-wide counters: plain numbers, no labels, nothing allocated per statement.
 */
let statements = 0;
let writeTransactions = 0;

export function countSqlStatements(count = 1): void {
  statements += count;
}

export function sqlStatementsTotal(): number {
  return statements;
}

export function countSqlWriteTransactions(count = 1): void {
  writeTransactions += count;
}

export function sqlWriteTransactionsTotal(): number {
  return writeTransactions;
}
