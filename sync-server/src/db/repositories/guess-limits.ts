import { NO_FAILURES, type GuessState } from "../../payments/guess-policy.js";
import { dialectOf, type Queryable } from "../database.js";

export async function readGuessState(db: Queryable, subject: string): Promise<GuessState> {
  let query = db.selectFrom("guess_limits").selectAll().where("subject", "=", subject);
  if (db.isTransaction && dialectOf(db) === "postgres") query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (row === undefined) return NO_FAILURES;
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
  await db.deleteFrom("guess_limits").where("subject", "=", subject).execute();
}
