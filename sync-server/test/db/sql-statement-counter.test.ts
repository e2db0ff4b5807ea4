/**
 * The bench's statements and write transactions per payment come from two process-wide counters
 * (observability/sql-statements.ts) that the database drivers move. Checked on a real SQLite file
 * (the group-commit driver) and a real PostgreSQL (the counting pool): a known transaction moves
 * them by exactly its statements, BEGIN and COMMIT included, and by one write transaction; a read
 * moves no write transaction; a rolled-back transaction moves its statements and no write transaction.
 */
import { afterAll, describe, expect, it } from "vitest";
import { inTransaction, openDatabase, type Db } from "../../src/db/database.js";
import { sqlStatementsTotal, sqlWriteTransactionsTotal } from "../../src/observability/sql-statements.js";
import { createPostgresDatabase, dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { makeTempDir } from "../helpers/temp-dir.js";

afterAll(async () => {
  await stopPostgres();
});

/** How much `work` moved the two counters. */
async function counted(work: () => Promise<unknown>): Promise<{ statements: number; writeTransactions: number }> {
  const statements = sqlStatementsTotal();
  const writeTransactions = sqlWriteTransactionsTotal();
  await work();
  return { statements: sqlStatementsTotal() - statements, writeTransactions: sqlWriteTransactionsTotal() - writeTransactions };
}

const storeRow = (id: string) => ({ id, name: "Counter Store", currency: "JPY", created_at: 1 });

describe.each(dialectsUnderTest())("SQL statement counter on %s", (dialect) => {
  const dir = makeTempDir("codepay-sql-counter-");
  let db: Db;

  afterAll(async () => {
    await db?.destroy();
    dir.remove();
  });

  it("counts a transaction's statements with its BEGIN and COMMIT, and one write transaction", async () => {
    db = await openDatabase(dir.path, dialect === "postgres" ? await createPostgresDatabase() : undefined);
    const moved = await counted(() =>
      inTransaction(db, async (tx) => {
        await tx.insertInto("stores").values(storeRow("counter-a")).execute();
        await tx.updateTable("stores").set({ name: "Renamed" }).where("id", "=", "counter-a").execute();
        await tx.selectFrom("stores").selectAll().where("id", "=", "counter-a").executeTakeFirstOrThrow();
      }),
    );
    expect(moved).toEqual({ statements: 5, writeTransactions: 1 });
  });

  it("counts a read outside a transaction as one statement and no write transaction", async () => {
    const moved = await counted(() => db.selectFrom("stores").select("id").execute());
    expect(moved).toEqual({ statements: 1, writeTransactions: 0 });
  });

  it("counts a write outside a transaction as one statement and one (autocommitted) write transaction", async () => {
    const moved = await counted(() => db.insertInto("stores").values(storeRow("counter-b")).execute());
    expect(moved).toEqual({ statements: 1, writeTransactions: 1 });
  });

  it("counts a rolled-back transaction's statements, ROLLBACK included, and no write transaction", async () => {
    const moved = await counted(() =>
      inTransaction(db, async (tx) => {
        await tx.insertInto("stores").values(storeRow("counter-c")).execute();
        throw new Error("refused");
      }).catch(() => undefined),
    );
    expect(moved).toEqual({ statements: 3, writeTransactions: 0 });
    expect(await db.selectFrom("stores").select("id").where("id", "=", "counter-c").executeTakeFirst()).toBeUndefined();
  });

  it("counts a read-only transaction's statements and no write transaction", async () => {
    const moved = await counted(() =>
      db.transaction().setAccessMode("read only").execute((tx) => tx.selectFrom("stores").select("id").execute()),
    );
    expect(moved).toEqual({ statements: 3, writeTransactions: 0 });
  });
});
