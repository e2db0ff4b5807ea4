/**
 * Issue 24, the pure part: which database errors are faults of the world (PostgreSQL gone, a full
 * disk) and get a retryable refusal instead of INTERNAL, and how the availability of PostgreSQL goes
 * down on the first such error and comes back by itself through probes with a growing delay.
 */
import { describe, expect, it } from "vitest";
import { DatabaseAvailability } from "../../src/db/database-availability.js";
import { DatabaseUnavailableError, databaseFaultOf, databaseRefusalFor, isTransientConflict } from "../../src/db/database-faults.js";

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("database faults", () => {
  it("PostgreSQL gone (admin shutdown, crash, starting up, connection exceptions, sockets, pg's own words) is SERVER_UNAVAILABLE", () => {
    const gone = [
      withCode("terminating connection due to administrator command", "57P01"),
      withCode("terminating connection because of crash of another server process", "57P02"),
      withCode("the database system is starting up", "57P03"),
      withCode("connection failure", "08006"),
      withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"),
      withCode("read ECONNRESET", "ECONNRESET"),
      new Error("Connection terminated unexpectedly"),
      new Error("Client has encountered a connection error and is not queryable"),
      new Error("timeout exceeded when trying to connect"),
      new AggregateError([withCode("a", "ECONNREFUSED"), withCode("b", "ECONNREFUSED")], "both addresses refused"),
      new DatabaseUnavailableError(),
    ];
    for (const error of gone) {
      expect(databaseFaultOf(error), error.message).toBe("unavailable");
      expect(databaseRefusalFor(error)).toMatchObject({ code: "SERVER_UNAVAILABLE", retryAfterS: expect.any(Number) });
    }
  });

  it("a full disk (SQLITE_FULL, ENOSPC) is STORAGE_FULL", () => {
    for (const error of [withCode("database or disk is full", "SQLITE_FULL"), withCode("no space left on device", "ENOSPC")]) {
      expect(databaseFaultOf(error)).toBe("storage-full");
      expect(databaseRefusalFor(error)).toMatchObject({ code: "STORAGE_FULL" });
    }
  });

  it("anything else stays a bug (INTERNAL): constraint violations, syntax errors, busy, plain errors, non-errors", () => {
    const bugs: unknown[] = [
      withCode("duplicate key value violates unique constraint", "23505"),
      withCode("syntax error", "42601"),
      withCode("database is locked", "SQLITE_BUSY"),
      withCode("UNIQUE constraint failed", "SQLITE_CONSTRAINT_UNIQUE"),
      new Error("boom"),
      new AggregateError([new Error("x"), withCode("y", "ECONNREFUSED")]),
      "a string",
      undefined,
    ];
    for (const error of bugs) expect(databaseRefusalFor(error)).toBeUndefined();
  });
});

describe("transient conflicts", () => {
  it("a deadlock's victim (40P01) and a serialization failure (40001) run again; nothing else does", () => {
    expect(isTransientConflict(Object.assign(new Error("deadlock detected"), { code: "40P01" }))).toBe(true);
    expect(isTransientConflict(Object.assign(new Error("could not serialize access"), { code: "40001" }))).toBe(true);
    for (const code of ["23505", "57P01", "08006", "SQLITE_BUSY", undefined]) expect(isTransientConflict(Object.assign(new Error("x"), { code }))).toBe(false);
    expect(isTransientConflict("40P01")).toBe(false);
    expect(isTransientConflict(null)).toBe(false);
  });
});

describe("PostgreSQL availability", () => {
  it("goes down on the first connection error, refuses at once meanwhile, probes with a doubling delay and comes back by itself", async () => {
    const probesAtMs: number[] = [];
    let answers = false;
    const changes: boolean[] = [];
    const startedMs = Date.now();
    const availability = new DatabaseAvailability({
      delayMsMin: 20,
      delayMsMax: 80,
      probe: async () => {
        probesAtMs.push(Date.now() - startedMs);
        if (!answers) throw new Error("connect ECONNREFUSED");
      },
      onChange: (up) => changes.push(up),
    });
    try {
      availability.noteError(new Error("duplicate key")); // not a connection fault: stays up
      expect(availability.up).toBe(true);
      availability.noteError(withCode("terminating connection due to administrator command", "57P01"));
      expect(availability.up).toBe(false);
      expect(() => availability.assertUp()).toThrow(DatabaseUnavailableError);
      availability.noteError(withCode("x", "ECONNREFUSED")); // already down: one outage, one probe loop
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(availability.up).toBe(false);
      // 20, 40, 80, 80, ... ms apart: never faster than the minimum, never slower than the maximum.
      const gaps = probesAtMs.slice(1).map((at, index) => at - probesAtMs[index]!);
      expect(probesAtMs.length).toBeGreaterThanOrEqual(3);
      expect(gaps[0]!).toBeGreaterThanOrEqual(35);
      expect(Math.max(...gaps)).toBeLessThan(80 + 150);
      answers = true;
      const until = Date.now() + 2_000;
      while (!availability.up && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(availability.up).toBe(true);
      expect(availability.outages).toBe(1);
      expect(changes).toEqual([false, true]);
    } finally {
      availability.close();
    }
  });
});
