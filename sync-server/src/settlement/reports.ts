/**
 * X and Z reports of one register's period: counts and totals of payments, voids and refunds per
 * currency and tender. An X report reads the open period; a Z report closes it (the next opens on
 * first use). A repeated Z requestId gets the stored report (the register idempotency layer), so a
 * retried Z never closes a second period.
 */
import type { Queryable, Tx } from "../db/database.js";
import { closePeriod, openPeriod } from "../db/repositories/periods.js";
import { isCurrencyCode, PROTOCOL_VERSION, ReportSchema, TENDERS, type Report, type Tender } from "@codepay/contract";

type Totals = Report["totals"][number];

interface GroupRow {
  readonly tender: string;
  readonly currency: string;
  readonly count: number | string;
  readonly minor: number | string | null;
}

function key(tender: string, currency: string): string {
  return `${currency}/${tender}`;
}

/** A period's figures as its X or Z report gives them (read only: the operator console reads open periods with it). */
export async function periodTotals(tx: Queryable, registerId: string, periodNumber: number): Promise<Report["totals"]> {
  const payments = await tx
    .selectFrom("payments")
    .select(["tender", "currency", (eb) => eb.fn.countAll<number>().as("count"), (eb) => eb.fn.sum<number>("amount_minor").as("minor")])
    .where("register_id", "=", registerId)
    .where("period_number", "=", periodNumber)
    .where("state", "in", ["approved", "voided"])
    .groupBy(["tender", "currency"])
    .execute();
  const reversals = await tx
    .selectFrom("reversals")
    .select(["kind", "tender", "currency", (eb) => eb.fn.countAll<number>().as("count"), (eb) => eb.fn.sum<number>("amount_minor").as("minor")])
    .where("register_id", "=", registerId)
    .where("period_number", "=", periodNumber)
    .groupBy(["kind", "tender", "currency"])
    .execute();
  const totals = new Map<string, Totals>();
  const entry = (tender: string, currency: string): Totals => {
    const existing = totals.get(key(tender, currency));
    if (existing !== undefined) return existing;
    if (!isCurrencyCode(currency) || !(TENDERS as readonly string[]).includes(tender)) throw new Error(`bad tender/currency ${tender}/${currency} in the ledger`);
    const created: Totals = { currency, tender: tender as Tender, payments: { count: 0, minor: 0 }, voids: { count: 0, minor: 0 }, refunds: { count: 0, minor: 0 }, netMinor: 0 };
    totals.set(key(tender, currency), created);
    return created;
  };
  const amount = (row: GroupRow) => ({ count: Number(row.count), minor: Number(row.minor ?? 0) });
  for (const row of payments) entry(row.tender, row.currency).payments = amount(row);
  for (const row of reversals) {
    const target = entry(row.tender, row.currency);
    if (row.kind === "void") target.voids = amount(row);
    else target.refunds = amount(row);
  }
  for (const t of totals.values()) t.netMinor = t.payments.minor - t.voids.minor - t.refunds.minor;
  return [...totals.values()].sort((a, b) => key(a.tender, a.currency).localeCompare(key(b.tender, b.currency)));
}

export async function buildReport(tx: Tx, register: { storeId: string; registerId: string }, kind: "x" | "z", requestId: string, now: number): Promise<Report> {
  const period = await openPeriod(tx, register.registerId, now);
  const totals = await periodTotals(tx, register.registerId, period.number);
  const report: Report = {
    v: PROTOCOL_VERSION,
    type: "report",
    inReplyTo: requestId,
    kind,
    registerId: register.registerId,
    storeId: register.storeId,
    periodNumber: period.number,
    openedAt: period.openedAt,
    ...(kind === "z" ? { closedAt: now } : {}),
    totals,
  };
  if (kind === "z" && !(await closePeriod(tx, register.registerId, period.number, now, requestId, JSON.stringify(report)))) {
    throw new Error(`period ${period.number} of ${register.registerId} closed under a transaction`);
  }
  return report;
}

export interface PeriodFigures {
  readonly number: number;
  readonly openedAt: number;
  /** Null: the open period, its X figures as of now; else its Z report as it was printed. */
  readonly closedAt: number | null;
  readonly totals: Report["totals"];
}

/**
 * A register's periods, newest first (at most `limit`): the open one's running (X) figures, read
 * without opening a period, and each closed one's Z report as stored when it closed.
 */
export async function registerPeriodFigures(db: Queryable, registerId: string, limit: number): Promise<PeriodFigures[]> {
  const periods = await db.selectFrom("periods").selectAll().where("register_id", "=", registerId).orderBy("number", "desc").limit(limit).execute();
  const figures: PeriodFigures[] = [];
  for (const period of periods) {
    const number = Number(period.number);
    const stored = period.report_json === null ? undefined : ReportSchema.safeParse(JSON.parse(period.report_json));
    const totals = stored?.success === true ? stored.data.totals : await periodTotals(db, registerId, number);
    figures.push({ number, openedAt: Number(period.opened_at), closedAt: period.closed_at === null ? null : Number(period.closed_at), totals });
  }
  return figures;
}
