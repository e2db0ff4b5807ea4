import type { Selectable } from "kysely";
import { precompiledQuery } from "../precompiled-query.js";
import type { PeriodsTable } from "../schema.js";
import type { Queryable } from "../database.js";

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
export async function openPeriod(db: Queryable, registerId: string, now: number): Promise<PeriodRow> {
  const [open] = (await selectOpenPeriod(db, { registerId })).rows;
  if (open !== undefined) return toPeriodRow(open);
  const last = await db
    .selectFrom("periods")
    .select((eb) => eb.fn.max("number").as("number"))
    .where("register_id", "=", registerId)
    .executeTakeFirst();
  const number = Number(last?.number ?? 0) + 1;
  await db
    .insertInto("periods")
    .values({ register_id: registerId, number, opened_at: now, closed_at: null, z_request_id: null, report_json: null })
    .onConflict((oc) => oc.columns(["register_id", "number"]).doNothing())
    .execute();
  const [created] = (await selectOpenPeriod(db, { registerId })).rows;
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
