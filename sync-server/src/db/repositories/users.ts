import { precompiledQuery } from "../precompiled-query.js";
import type { Queryable } from "../database.js";
import { statement, type Operation } from "../../engine/operation.js";
import { runOn } from "../../engine/run-on-kysely.js";


export interface UserRow {
  readonly id: string;
  readonly name: string;
}

export interface PhoneRow {
  readonly phoneId: string;
  readonly userId: string;
  readonly carrier: string;
}

export async function findUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").select(["id", "name"]).where("id", "=", id).executeTakeFirst();
}

export async function upsertUser(db: Queryable, user: UserRow, now: number): Promise<void> {
  await db
    .insertInto("users")
    .values({ id: user.id, name: user.name, created_at: now })
    .onConflict((oc) => oc.column("id").doUpdateSet({ name: user.name }))
    .execute();
}

interface PhoneColumns {
  phone_id: string;
  user_id: string;
  carrier: string;
}

const selectPhone = precompiledQuery<{ phoneId: string }, PhoneColumns>((db, param) =>
  db.selectFrom("phones").select(["phone_id", "user_id", "carrier"]).where("phone_id", "=", param("phoneId")),
);

const selectPhoneByCredential = precompiledQuery<{ credentialSha256: string }, PhoneColumns>((db, param) =>
  db.selectFrom("phones").select(["phone_id", "user_id", "carrier"]).where("credential_sha256", "=", param("credentialSha256")),
);

export async function findPhone(db: Queryable, phoneId: string): Promise<PhoneRow | undefined> {
  const [row] = (await selectPhone(db, { phoneId })).rows;
  return row && { phoneId: row.phone_id, userId: row.user_id, carrier: row.carrier };
}

export function findPhoneByCredentialHash(db: Queryable, credentialSha256: string): Promise<PhoneRow | undefined> {
  return runOn(db, findPhoneByCredentialHashOp(credentialSha256));
}

export function* findPhoneByCredentialHashOp(credentialSha256: string): Operation<PhoneRow | undefined> {
  const [row] = (yield* statement(selectPhoneByCredential, { credentialSha256 }, { cacheKey: `phone-credential:${credentialSha256}` })).rows;
  return row && { phoneId: row.phone_id, userId: row.user_id, carrier: row.carrier };
}

/** Enrolling a phone again gives it a new credential (the old one stops working). */
export async function upsertPhone(db: Queryable, phone: PhoneRow & { credentialSha256: string }, now: number): Promise<void> {
  await db
    .insertInto("phones")
    .values({ phone_id: phone.phoneId, user_id: phone.userId, carrier: phone.carrier, credential_sha256: phone.credentialSha256, created_at: now })
    .onConflict((oc) =>
      oc.column("phone_id").doUpdateSet({ user_id: phone.userId, carrier: phone.carrier, credential_sha256: phone.credentialSha256 }),
    )
    .execute();
}

const selectPinHash = precompiledQuery<{ userId: string }, { pin_hash: string | null }>((db, param) => db.selectFrom("users").select("pin_hash").where("id", "=", param("userId")));

export function* findUserPinHashOp(userId: string): Operation<string | null> {
  const [row] = (yield* statement(selectPinHash, { userId }, { cacheKey: `pin:${userId}` })).rows;
  return row?.pin_hash ?? null;
}

export function findUserPinHash(db: Queryable, userId: string): Promise<string | null> {
  return runOn(db, findUserPinHashOp(userId));
}

export async function setUserPinHash(db: Queryable, userId: string, pinHash: string): Promise<boolean> {
  const result = await db.updateTable("users").set({ pin_hash: pinHash }).where("id", "=", userId).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
