/** The payments bench's window arithmetic on the server's metrics (bench/server-scrape.ts). */
import { describe, expect, it } from "vitest";
import { bucketQuantileMs, combinedScrape, perPayment, type ServerScrape } from "../../src/bench/server-scrape.js";

const scrape = (statements: number | undefined, writeTransactions: number | undefined): ServerScrape => ({
  loopDelay: { p50Ms: 1, p99Ms: 2, maxMs: 3 },
  fsyncBuckets: [[1, 5], [Number.POSITIVE_INFINITY, 6]],
  statements,
  writeTransactions,
  walFsyncs: undefined,
});

describe("server scrapes", () => {
  it("a counter's growth per payment, or nothing when a scrape lacks it", () => {
    expect(perPayment(1_000, 4_500, 100)).toBe(35);
    expect(perPayment(undefined, 4_500, 100)).toBeUndefined();
    expect(perPayment(10, 10, 0)).toBe(0);
  });

  it("several servers' counters add up; their loop delays and fsync histograms do not", () => {
    expect(combinedScrape([scrape(100, 10), scrape(50, 5)])).toEqual({ loopDelay: undefined, fsyncBuckets: [], statements: 150, writeTransactions: 15, walFsyncs: undefined });
    expect(combinedScrape([scrape(100, 10), scrape(undefined, 5)])?.statements).toBeUndefined();
    const lone = scrape(7, 1);
    expect(combinedScrape([lone])).toBe(lone);
    expect(combinedScrape([])).toBeUndefined();
  });

  it("a quantile of what a histogram counted between two scrapes is the upper bound of its bucket", () => {
    const before: [number, number][] = [[1, 10], [5, 10], [Number.POSITIVE_INFINITY, 10]];
    const after: [number, number][] = [[1, 60], [5, 99], [Number.POSITIVE_INFINITY, 110]];
    expect(bucketQuantileMs(before, after, 0.5)).toBe(1);
    expect(bucketQuantileMs(before, after, 0.99)).toBe(Number.POSITIVE_INFINITY);
    expect(bucketQuantileMs(after, after, 0.5)).toBeUndefined();
  });
});
