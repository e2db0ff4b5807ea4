/**
 * SQL statements this process has sent to its database since start, on the serving path and any other.
 * Every way the server reaches its database counts here (the Kysely drivers and the batched engine), so
 * `codepay_sql_statements_total` divided by payments is the bench's `statements_per_payment`.
 * One process-wide counter: a plain number, no labels, nothing allocated per statement.
 */
let statements = 0;

export function countSqlStatements(count = 1): void {
  statements += count;
}

export function sqlStatementsTotal(): number {
  return statements;
}
