import { precompiledQuery } from "../precompiled-query.js";
import { NO_FAILURES, type GuessState } from "../../payments/guess-policy.js";
import { dialectOf, type Queryable } from "../database.js";
import type { GuessLimitsTable } from "../schema.js";

const selectGuessState = precompiledQuery<{ subject: string }, GuessLimitsTable>((db, param) => db.selectFrom("guess_limits").selectAll().where("subject", "=", param("subject")));
const selectGuessStateForUpdate = precompiledQuery<{ subject: string }, GuessLimitsTable>((db, param) =>
  db.selectFrom("guess_limits").selectAll().where("subject", "=", param("subject")).forUpdate(),
);
const deleteGuessState = precompiledQuery<{ subject: string }, never>((db, param) => db.deleteFrom("guess_limits").where("subject", "=", param("subject")));

export async function readGuessState(db: Queryable, subject: string): Promise<GuessState> {
  return (await readStoredGuessState(db, subject)) ?? NO_FAILURES;
}

/** The subject's counters as stored; undefined when it has none (never failed, or cleared since). */
export async function readStoredGuessState(db: Queryable, subject: string): Promise<GuessState | undefined> {
  const query = db.isTransaction && dialectOf(db) === "postgres" ? selectGuessStateForUpdate : selectGuessState;
  const [row] = (await query(db, { subject })).rows;
  if (row === undefined) return undefined;
  return { failures: Number(row.failures), windowStartedAt: Number(row.window_started_at), blockedUntil: Number(row.blocked_until), rotationFailures: Number(row.rotations_failures) };
}

export async function writeGuessState(db: Queryable, subject: string, state: GuessState): Promise<void> {
  const values = { failures: state.failures, window_started_at: state.windowStartedAt, blocked_until: state.blockedUntil, rotations_failures: state.rotationFailures };
  await db
    .insertInto("guess_limits")
    .values({ subject, ...values })
    .onConflict((oc) => oc.column("subject").doUpdateSet(values))
    .execute();
}

export async function clearGuessState(db: Queryable, subject: string): Promise<void> {
  await deleteGuessState(db, { subject });
}
