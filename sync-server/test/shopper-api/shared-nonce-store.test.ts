/**
 * The database's nonce table: a nonce accepted by one server instance is a replay on every other,
 * on SQLite and on PostgreSQL; an expired one may be used again, and prune removes expired rows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { openDatabase, type Db } from "../../src/db/database.js";
import { SharedNonceStore } from "../../src/shopper-api/shared-nonce-store.js";
import { createPostgresDatabase, dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";

afterAll(() => stopPostgres());

describe.each(dialectsUnderTest())("shared assertion nonces (%s)", (dialect) => {
  async function twoInstances(): Promise<{ a: SharedNonceStore; b: SharedNonceStore; dbs: Db[]; close(): Promise<void> }> {
    const dir = await mkdtemp(join(tmpdir(), "codepay-nonces-"));
    const url = dialect === "postgres" ? await createPostgresDatabase() : undefined;
    const first = await openDatabase(dir, url);
    const second = await openDatabase(dir, url);
    return {
      a: new SharedNonceStore(first),
      b: new SharedNonceStore(second),
      dbs: [first, second],
      async close() {
        await first.destroy();
        await second.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  test("fresh on one instance, replayed on the other and on itself", async () => {
    const { a, b, close } = await twoInstances();
    try {
      expect(await a.remember("carrier:nonce-0000000000000001", 2_000, 1_000)).toBe("fresh");
      expect(await b.remember("carrier:nonce-0000000000000001", 2_000, 1_001)).toBe("replayed");
      expect(await a.remember("carrier:nonce-0000000000000001", 2_000, 1_002)).toBe("replayed");
      expect(await b.remember("carrier:nonce-0000000000000002", 2_000, 1_003)).toBe("fresh");
    } finally {
      await close();
    }
  });

  test("concurrent first uses of one nonce: exactly one is fresh", async () => {
    const { a, b, close } = await twoInstances();
    try {
      const verdicts = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).remember("carrier:nonce-race-000000000001", 5_000, 1_000)));
      expect(verdicts.filter((v) => v === "fresh")).toHaveLength(1);
      expect(verdicts.filter((v) => v === "replayed")).toHaveLength(7);
    } finally {
      await close();
    }
  });

  test("after expiry a nonce may be taken again; prune deletes only expired rows", async () => {
    const { a, b, close } = await twoInstances();
    try {
      expect(await a.remember("carrier:nonce-old-0000000000001", 2_000, 1_000)).toBe("fresh");
      expect(await a.remember("carrier:nonce-new-0000000000001", 9_000, 1_000)).toBe("fresh");
      expect(await b.remember("carrier:nonce-old-0000000000001", 6_000, 2_000)).toBe("fresh");
      expect(await b.remember("carrier:nonce-old-0000000000001", 6_000, 2_001)).toBe("replayed");
      expect(await a.prune(6_000)).toBe(1);
      expect(await a.remember("carrier:nonce-new-0000000000001", 9_000, 6_001)).toBe("replayed");
    } finally {
      await close();
    }
  });
});
