/**
 * The PostgreSQL batch runner's connection (engine/postgres-connection.ts) on a real PostgreSQL: a
 * pipeline sends statements together and answers each in order, and when one fails it reports that
 * failure, not the "transaction is aborted" refusals of the statements queued behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresConnection } from "../../src/engine/postgres-connection.js";
import { createPostgresDatabase, dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";

afterAll(stopPostgres);

describe.runIf(dialectsUnderTest().includes("postgres"))("PostgreSQL connection pipeline", () => {
  let connection: PostgresConnection;

  beforeAll(async () => {
    connection = await PostgresConnection.open(await createPostgresDatabase());
    await connection.control("create table pipeline_rows (id integer primary key, label text not null)");
  });
  afterAll(async () => {
    await connection?.close();
  });

  it("runs the statements in order in the open transaction and answers each", async () => {
    await connection.control("begin");
    const results = await connection.pipeline([
      { text: "insert into pipeline_rows (id, label) values ($1, $2), ($3, $4)", values: [1, "one", 2, "two"] },
      { text: "update pipeline_rows set label = $1 where id = $2", values: ["uno", 1] },
      { text: "select id, label from pipeline_rows order by id", values: [] },
    ]);
    await connection.control("commit");
    expect(results.map((result) => result.changes)).toEqual([2, 1, 0]);
    expect(results[2]!.rows).toEqual([{ id: 1, label: "uno" }, { id: 2, label: "two" }]);
  });

  it("reports the statement that failed, and PostgreSQL refused the rest; the connection works on after a rollback", async () => {
    await connection.control("begin");
    const pipelined = connection.pipeline([
      { text: "insert into pipeline_rows (id, label) values ($1, $2)", values: [3, "three"] },
      { text: "insert into pipeline_rows (id, label) values ($1, $2)", values: [1, "taken"] },
      { text: "update pipeline_rows set label = $1 where id = $2", values: ["never", 2] },
    ]);
    await expect(pipelined).rejects.toMatchObject({ code: "23505" }); // unique_violation, not 25P02
    await connection.control("rollback");
    const [rows] = await connection.pipeline([{ text: "select id, label from pipeline_rows order by id", values: [] }]);
    expect(rows!.rows).toEqual([{ id: 1, label: "uno" }, { id: 2, label: "two" }]);
  });
});
