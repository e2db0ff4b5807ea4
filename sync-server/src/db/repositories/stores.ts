import { precompiledQuery } from "../precompiled-query.js";
import type { Queryable } from "../database.js";
import type { StoresTable } from "../schema.js";

export type StoreRow = StoresTable;

const selectStore = precompiledQuery<{ id: string }, StoreRow>((db, param) => db.selectFrom("stores").selectAll().where("id", "=", param("id")));

export async function findStore(db: Queryable, id: string): Promise<StoreRow | undefined> {
  const [row] = (await selectStore(db, { id })).rows;
  return row;
}

export async function insertStore(db: Queryable, row: StoreRow): Promise<void> {
  await db.insertInto("stores").values(row).execute();
}

export async function updateStore(db: Queryable, id: string, fields: { name: string; currency: string }): Promise<void> {
  await db.updateTable("stores").set(fields).where("id", "=", id).execute();
}
