import type { Selectable } from "kysely";
import { precompiledQuery } from "../precompiled-query.js";
import type { PeriodsTable } from "../schema.js";
import type { Queryable } from "../database.js";
import { statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";


export interface PeriodRow {
  readonly registerId: string;
  readonly number: number;
  readonly openedAt: number;
  readonly closedAt: number | null;
  readonly reportJson: string | null;
}

function toPeriodRow(row: { register_id: string; number: number; opened_at: number; closed_at: number | null; report_json: string | null }): PeriodRow {
  return {
    registerId: row.register_id,
    number: Number(row.number),
    openedAt: Number(row.opened_at),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
    reportJson: row.report_json,
  };
}

const selectOpenPeriod = precompiledQuery<{ registerId: string }, Selectable<PeriodsTable>>((db, param) =>
  db.selectFrom("periods").selectAll().where("register_id", "=", param("registerId")).where("closed_at", "is", null),
);

/**
 * The register's open period, opened on first use (number 1, or one past the last closed). The
 * partial unique index `periods_one_open` and the primary key keep it to one open period per register.
 */
export function openPeriod(db: Queryable, registerId: string, now: number): Promise<PeriodRow> {
  return runOn(db, openPeriodOp(registerId, now));
}

const selectLastNumber = precompiledQuery<{ registerId: string }, { number: number | null }>((db, param) =>
  db
    .selectFrom("periods")
    .select((eb) => eb.fn.max("number").as("number"))
    .where("register_id", "=", param("registerId")),
);

const insertPeriod = precompiledQuery<{ registerId: string; number: number; now: number }, never>((db, param) =>
  db
    .insertInto("periods")
    .values({ register_id: param("registerId"), number: param("number"), opened_at: param("now") })
    .onConflict((oc) => oc.columns(["register_id", "number"]).doNothing()),
);

export function* openPeriodOp(registerId: string, now: number): Operation<PeriodRow> {
  const [open] = (yield* statement(selectOpenPeriod, { registerId }, { cacheKey: `period:${registerId}` })).rows;
  if (open !== undefined) return toPeriodRow(open);
  const [last] = (yield* statement(selectLastNumber, { registerId })).rows;
  const number = Number(last?.number ?? 0) + 1;
  yield* statement(insertPeriod, { registerId, number, now }, { invalidates: `period:${registerId}` });
  const [created] = (yield* statement(selectOpenPeriod, { registerId })).rows;
  if (created === undefined) throw new Error(`register ${registerId} has no open period after opening one`);
  return toPeriodRow(created);
}

/** Closes the open period with its Z report; false if someone closed it first. */
export async function closePeriod(db: Queryable, registerId: string, number: number, closedAt: number, zRequestId: string, reportJson: string): Promise<boolean> {
  const result = await db
    .updateTable("periods")
    .set({ closed_at: closedAt, z_request_id: zRequestId, report_json: reportJson })
    .where("register_id", "=", registerId)
    .where("number", "=", number)
    .where("closed_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function listPeriods(db: Queryable, registerId: string): Promise<PeriodRow[]> {
  const rows = await db.selectFrom("periods").selectAll().where("register_id", "=", registerId).orderBy("number").execute();
  return rows.map(toPeriodRow);
}
