import { precompiledQuery } from "../precompiled-query.js";
import { NO_FAILURES, type GuessState } from "../../payments/guess-policy.js";
import type { Queryable } from "../database.js";
import { statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";

import type { GuessLimitsTable } from "../schema.js";

const selectGuessState = precompiledQuery<{ subject: string }, GuessLimitsTable>((db, param) => db.selectFrom("guess_limits").selectAll().where("subject", "=", param("subject")));
const selectGuessStateForUpdate = precompiledQuery<{ subject: string }, GuessLimitsTable>((db, param) =>
  db.selectFrom("guess_limits").selectAll().where("subject", "=", param("subject")).forUpdate(),
);
const deleteGuessState = precompiledQuery<{ subject: string }, never>((db, param) => db.deleteFrom("guess_limits").where("subject", "=", param("subject")));

export function* readGuessStateOp(subject: string): Operation<GuessState> {
  return (yield* readStoredGuessStateOp(subject)) ?? NO_FAILURES;
}

export function readGuessState(db: Queryable, subject: string): Promise<GuessState> {
  return runOn(db, readGuessStateOp(subject));
}

/** The subject's counters as stored; undefined when it has none (never failed, or cleared since). */
export function* readStoredGuessStateOp(subject: string): Operation<GuessState | undefined> {
  const [row] = (yield* statement(selectGuessState, { subject }, { locking: selectGuessStateForUpdate, cacheKey: `guess:${subject}` })).rows;
  if (row === undefined) return undefined;
  return { failures: Number(row.failures), windowStartedAt: Number(row.window_started_at), blockedUntil: Number(row.blocked_until), rotationFailures: Number(row.rotations_failures) };
}

export function readStoredGuessState(db: Queryable, subject: string): Promise<GuessState | undefined> {
  return runOn(db, readStoredGuessStateOp(subject));
}

type GuessColumns = { subject: string; failures: number; windowStartedAt: number; blockedUntil: number; rotationFailures: number };
const upsertGuessState = precompiledQuery<GuessColumns, never>((db, param) =>
  db
    .insertInto("guess_limits")
    .values({ subject: param("subject"), failures: param("failures"), window_started_at: param("windowStartedAt"), blocked_until: param("blockedUntil"), rotations_failures: param("rotationFailures") })
    .onConflict((oc) =>
      oc.column("subject").doUpdateSet((eb) => ({
        failures: eb.ref("excluded.failures"),
        window_started_at: eb.ref("excluded.window_started_at"),
        blocked_until: eb.ref("excluded.blocked_until"),
        rotations_failures: eb.ref("excluded.rotations_failures"),
      })),
    ),
);

export function* writeGuessStateOp(subject: string, state: GuessState): Operation<void> {
  yield* statement(upsertGuessState, { subject, ...state }, { invalidates: `guess:${subject}` });
}

export function writeGuessState(db: Queryable, subject: string, state: GuessState): Promise<void> {
  return runOn(db, writeGuessStateOp(subject, state));
}

export function* clearGuessStateOp(subject: string): Operation<void> {
  yield* statement(deleteGuessState, { subject }, { invalidates: `guess:${subject}` });
}

export function clearGuessState(db: Queryable, subject: string): Promise<void> {
  return runOn(db, clearGuessStateOp(subject));
}
