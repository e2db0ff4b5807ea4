import { precompiledQuery } from "../precompiled-query.js";
import type { Queryable } from "../database.js";
import { statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";

import type { StoresTable } from "../schema.js";

export type StoreRow = StoresTable;

const selectStore = precompiledQuery<{ id: string }, StoreRow>((db, param) => db.selectFrom("stores").selectAll().where("id", "=", param("id")));

export function* findStoreOp(id: string): Operation<StoreRow | undefined> {
  const [row] = (yield* statement(selectStore, { id }, { cacheKey: `store:${id}` })).rows;
  return row;
}

export function findStore(db: Queryable, id: string): Promise<StoreRow | undefined> {
  return runOn(db, findStoreOp(id));
}

export async function insertStore(db: Queryable, row: StoreRow): Promise<void> {
  await db.insertInto("stores").values(row).execute();
}

export async function updateStore(db: Queryable, id: string, fields: { name: string; currency: string }): Promise<void> {
  await db.updateTable("stores").set(fields).where("id", "=", id).execute();
}
