/**
 * The asynchronous driver of operations (operation.ts): each statement awaited through Kysely in the
 * caller's database or transaction. PostgreSQL's path, and every caller outside the batched engine.
 */
import { verifyPassword } from "../auth/password-hash.js";
import { dialectOf, type Queryable } from "../db/database.js";
import type { Operation, StatementEffect, StatementResult } from "./operation.js";

export async function runOn<T>(db: Queryable, operation: Operation<T>): Promise<T> {
  const locking = db.isTransaction && dialectOf(db) === "postgres";
  let step = operation.next();
  while (step.done !== true) {
    const effect = step.value;
    let answer: unknown;
    if (effect.kind === "statement") {
      answer = await runStatement(db, effect, locking);
    } else if (effect.kind === "statements") {
      const results: StatementResult<unknown>[] = [];
      for (const each of effect.statements) results.push(await runStatement(db, each, locking));
      answer = results;
    } else if (effect.kind === "append" || effect.kind === "later") {
      await effect.query(db, effect.params);
    } else if (effect.kind === "audit") {
      await runOn(db, effect.alone());
    } else if (effect.kind === "optimistic") {
      answer = false; // one interactive transaction: claim the idempotency key first, as always
    } else {
      answer = await verifyPassword(effect.pin, effect.pinHash);
    }
    step = operation.next(answer);
  }
  return step.value;
}

async function runStatement(db: Queryable, effect: StatementEffect, locking: boolean): Promise<StatementResult<unknown>> {
  const query = locking && effect.locking !== undefined ? effect.locking : effect.query;
  const result = await query(db, effect.params);
  return { rows: result.rows, changes: Number(result.numAffectedRows ?? 0n) };
}
