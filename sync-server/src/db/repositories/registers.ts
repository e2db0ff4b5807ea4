import type { Selectable } from "kysely";
import { precompiledQuery } from "../precompiled-query.js";
import type { Queryable } from "../database.js";
import { statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";

import type { RegistersTable } from "../schema.js";

export interface RegisterRow {
  readonly id: string;
  readonly storeId: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly disabled: boolean;
}

const selectRegister = precompiledQuery<{ id: string }, Selectable<RegistersTable>>((db, param) => db.selectFrom("registers").selectAll().where("id", "=", param("id")));

export function findRegister(db: Queryable, id: string): Promise<RegisterRow | undefined> {
  return runOn(db, findRegisterOp(id));
}

export function* findRegisterOp(id: string): Operation<RegisterRow | undefined> {
  const [row] = (yield* statement(selectRegister, { id }, { cacheKey: `register:${id}` })).rows;
  if (row === undefined) return undefined;
  return { id: row.id, storeId: row.store_id, name: row.name, passwordHash: row.password_hash, disabled: row.disabled === 1 };
}

export async function insertRegister(db: Queryable, row: Omit<RegistersTable, "disabled">): Promise<void> {
  await db.insertInto("registers").values(row).execute();
}

export async function updateRegisterCredentials(
  db: Queryable,
  id: string,
  fields: { name: string; passwordHash: string; brokerPasswordHash: string },
): Promise<void> {
  await db
    .updateTable("registers")
    .set({ name: fields.name, password_hash: fields.passwordHash, broker_password_hash: fields.brokerPasswordHash })
    .where("id", "=", id)
    .execute();
}

/**
 * A login's rehash (a scrypt row into the keyed form): only while the row still holds `oldHash`, so
 * a pairing or enrolment that replaced the password meanwhile is never undone. True if it changed.
 */
export async function replaceRegisterPasswordHash(db: Queryable, id: string, oldHash: string, newHash: string): Promise<boolean> {
  const result = await db.updateTable("registers").set({ password_hash: newHash }).where("id", "=", id).where("password_hash", "=", oldHash).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setRegisterDisabled(db: Queryable, id: string, disabled: boolean): Promise<void> {
  await db.updateTable("registers").set({ disabled: disabled ? 1 : 0 }).where("id", "=", id).execute();
}

export interface BrokerAccountRow {
  readonly registerId: string;
  readonly storeId: string;
  /** mosquitto `$7$` hash; undefined for a register enrolled before migration 0003. */
  readonly brokerPasswordHash: string | undefined;
}

/** Every enabled register with what the external broker needs: its topics and its password line. */
export async function listEnabledBrokerAccounts(db: Queryable): Promise<BrokerAccountRow[]> {
  const rows = await db.selectFrom("registers").select(["id", "store_id", "broker_password_hash"]).where("disabled", "=", 0).orderBy("id").execute();
  return rows.map((row) => ({ registerId: row.id, storeId: row.store_id, brokerPasswordHash: row.broker_password_hash ?? undefined }));
}

/** Registers that may connect: each shows at most one code at a time (guess-bound.ts sizes codes by it). */
export async function countEnabledRegisters(db: Queryable): Promise<number> {
  const row = await db.selectFrom("registers").select((eb) => eb.fn.countAll<number>().as("count")).where("disabled", "=", 0).executeTakeFirst();
  return Number(row?.count ?? 0);
}
