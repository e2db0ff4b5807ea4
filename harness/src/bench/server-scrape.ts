/**
 * What the payments bench reads from the server's GET /metrics (on its operator listener) at the start and the end of its measured
 * window: counters (SQL statements, write transactions, WAL fsyncs), the WAL fsync histogram, and the
 * server's own event-loop delay. Figures over the window are the differences between two scrapes.
 */

import { scrapeMetricsText } from "@codepay/sync-server";

/** Both monitors (the bench's and prom-client's in the server) tick every 10 ms. */
export const LOOP_TICK_MS = 10;
/** How long the loop was busy past its tick: what is left of a delay after the tick itself. */
export const pastTick = (ms: number): number => Math.max(0, ms - LOOP_TICK_MS);

export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** One scrape of the server's metrics. */
export interface ServerScrape {
  /** prom-client's event-loop figures since the previous scrape (each scrape resets them). */
  readonly loopDelay: LoopDelay | undefined;
  /** codepay_sqlite_wal_fsync_seconds: cumulative count per bucket upper bound (ms), +Inf last; empty on PostgreSQL. */
  readonly fsyncBuckets: [number, number][];
  /** codepay_sql_statements_total; undefined when the server does not report it. */
  readonly statements: number | undefined;
  /** codepay_sql_write_transactions_total. */
  readonly writeTransactions: number | undefined;
  /** codepay_sqlite_wal_fsyncs (SQLite group commit only). */
  readonly walFsyncs: number | undefined;
}

/** `operator`: the server's operator listener (serve's "listening" line, field `operator`). */
export async function scrapeServer(operator: string): Promise<ServerScrape> {
  const lines = (await scrapeMetricsText(operator)).split("\n");
  const value = (name: string): number | undefined => {
    const line = lines.find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(" ")[1]);
  };
  const fsyncBuckets = lines
    .filter((l) => l.startsWith("codepay_sqlite_wal_fsync_seconds_bucket{"))
    .map((l) => {
      const bound = /le="([^"]+)"/.exec(l)?.[1] ?? "+Inf";
      return [bound === "+Inf" ? Number.POSITIVE_INFINITY : Number(bound) * 1000, Number(l.split(" ")[1])] as [number, number];
    });
  const loopMs = (name: string): number | undefined => {
    const seconds = value(`codepay_process_nodejs_eventloop_lag_${name}_seconds`);
    return seconds === undefined ? undefined : pastTick(seconds * 1000);
  };
  const [p50Ms, p99Ms, maxMs] = [loopMs("p50"), loopMs("p99"), loopMs("max")];
  return {
    loopDelay: p50Ms === undefined || p99Ms === undefined || maxMs === undefined ? undefined : { p50Ms, p99Ms, maxMs },
    fsyncBuckets,
    statements: value("codepay_sql_statements_total"),
    writeTransactions: value("codepay_sql_write_transactions_total"),
    walFsyncs: value("codepay_sqlite_wal_fsyncs"),
  };
}

/** Approximate quantile (the upper bound of the bucket it falls in) of what a histogram counted between two scrapes. */
export function bucketQuantileMs(before: [number, number][], after: [number, number][], quantile: number): number | undefined {
  const deltas = after.map(([bound, count], index) => [bound, count - (before[index]?.[1] ?? 0)] as [number, number]);
  const total = deltas[deltas.length - 1]?.[1] ?? 0;
  if (total === 0) return undefined;
  return deltas.find(([, count]) => count >= quantile * total)?.[0];
}

/** A counter's growth between two scrapes per payment; undefined when either scrape lacks it. */
export function perPayment(before: number | undefined, after: number | undefined, payments: number): number | undefined {
  return before === undefined || after === undefined ? undefined : (after - before) / Math.max(1, payments);
}

/**
 * Several servers' scrapes as one: counters summed (undefined unless every server reports them); the
 * event-loop delay and the fsync histogram only from a lone server (they do not add up across processes).
 */
export function combinedScrape(scrapes: readonly ServerScrape[]): ServerScrape | undefined {
  if (scrapes.length <= 1) return scrapes[0];
  const sum = (pick: (scrape: ServerScrape) => number | undefined): number | undefined => {
    const values = scrapes.map(pick);
    return values.every((value): value is number => value !== undefined) ? values.reduce((total, value) => total + value, 0) : undefined;
  };
  return {
    loopDelay: undefined,
    fsyncBuckets: [],
    statements: sum((scrape) => scrape.statements),
    writeTransactions: sum((scrape) => scrape.writeTransactions),
    walFsyncs: sum((scrape) => scrape.walFsyncs),
  };
}
