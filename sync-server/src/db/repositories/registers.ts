import type { Queryable } from "../database.js";
import type { RegistersTable } from "../schema.js";

export interface RegisterRow {
  readonly id: string;
  readonly storeId: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly disabled: boolean;
}

export async function findRegister(db: Queryable, id: string): Promise<RegisterRow | undefined> {
  const row = await db.selectFrom("registers").selectAll().where("id", "=", id).executeTakeFirst();
  if (row === undefined) return undefined;
  return { id: row.id, storeId: row.store_id, name: row.name, passwordHash: row.password_hash, disabled: row.disabled === 1 };
}

export async function insertRegister(db: Queryable, row: Omit<RegistersTable, "disabled">): Promise<void> {
  await db.insertInto("registers").values(row).execute();
}

export async function updateRegisterCredentials(
  db: Queryable,
  id: string,
  fields: { name: string; passwordHash: string },
): Promise<void> {
  await db.updateTable("registers").set({ name: fields.name, password_hash: fields.passwordHash }).where("id", "=", id).execute();
}

export async function setRegisterDisabled(db: Queryable, id: string, disabled: boolean): Promise<void> {
  await db.updateTable("registers").set({ disabled: disabled ? 1 : 0 }).where("id", "=", id).execute();
}
