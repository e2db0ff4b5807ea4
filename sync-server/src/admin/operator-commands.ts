/**
 * `admin operator create | password | disable | enable`, `admin operators`: the operator console's
 * accounts (issue 20). The server makes each password (like a register's secret) and prints it once;
 * only its scrypt hash is kept. A new password also ends the account's sessions and lifts a lock.
 */
import { randomInt } from "node:crypto";
import { ID_SLUG_PATTERN } from "@codepay/contract";
import { hashPassword } from "../auth/password-hash.js";
import { inTransaction } from "../db/database.js";
import { findOperatorByUsername, insertOperator, listOperators, replaceOperatorPassword, setOperatorDisabled, type OperatorRow } from "../db/repositories/operators.js";
import { findStore } from "../db/repositories/stores.js";
import type { OperatorRole } from "../db/schema.js";
import { newId } from "../ids.js";
import { AdminError } from "./admin-error.js";
import { withDatabase } from "./admin-commands.js";

export const OPERATOR_USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
/** No 0/O, 1/I/l: read off a screen and typed by a person. */
const PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const PASSWORD_GROUPS = 4;
const PASSWORD_GROUP_CHARS = 5;

/** 20 characters of a 55-character alphabet (about 115 bits), in groups of five. */
export function newOperatorPassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < PASSWORD_GROUPS; g += 1) {
    let group = "";
    for (let c = 0; c < PASSWORD_GROUP_CHARS; c += 1) group += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
    groups.push(group);
  }
  return groups.join("-");
}

export interface OperatorOutput {
  readonly username: string;
  readonly role: OperatorRole;
  readonly storeId: string | null;
  /** Shown once. */
  readonly password: string;
}

export interface OperatorListing {
  readonly username: string;
  readonly role: OperatorRole;
  readonly storeId: string | null;
  readonly disabled: boolean;
  readonly locked: boolean;
  readonly createdAt: number;
}

export async function createOperator(input: { dataDir: string; username: string; role: string; storeId?: string; now?: number }): Promise<OperatorOutput> {
  if (!OPERATOR_USERNAME_PATTERN.test(input.username)) throw new AdminError("BAD_REQUEST", `username must match ${OPERATOR_USERNAME_PATTERN}`);
  if (input.role !== "admin" && input.role !== "store") throw new AdminError("BAD_REQUEST", `role must be admin or store (got ${JSON.stringify(input.role)})`);
  const role: OperatorRole = input.role;
  if (role === "store" && input.storeId === undefined) throw new AdminError("BAD_REQUEST", "a store operator needs --store");
  if (role === "admin" && input.storeId !== undefined) throw new AdminError("BAD_REQUEST", "an administrator sees every store: leave out --store");
  if (input.storeId !== undefined && !ID_SLUG_PATTERN.test(input.storeId)) throw new AdminError("BAD_REQUEST", `store id must match ${ID_SLUG_PATTERN}`);
  const password = newOperatorPassword();
  const passwordHash = await hashPassword(password);
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, (db) =>
    inTransaction(db, async (tx) => {
      if (input.storeId !== undefined && (await findStore(tx, input.storeId)) === undefined) throw new AdminError("NOT_FOUND", `no store ${input.storeId}; create it first`);
      const inserted = await insertOperator(tx, { id: newId(now), username: input.username, passwordHash, role, storeId: input.storeId ?? null, createdAt: now });
      if (!inserted) throw new AdminError("BAD_REQUEST", `operator ${input.username} exists; \`admin operator password --username ${input.username}\` gives it a new password`);
      return { username: input.username, role, storeId: input.storeId ?? null, password };
    }),
  );
}

/** A new password, the lock lifted, every session of the account ended. */
export async function resetOperatorPassword(input: { dataDir: string; username: string }): Promise<OperatorOutput> {
  const password = newOperatorPassword();
  const passwordHash = await hashPassword(password);
  return withDatabase(input.dataDir, (db) =>
    inTransaction(db, async (tx) => {
      const operator = await findOperatorByUsername(tx, input.username);
      if (operator === undefined) throw new AdminError("NOT_FOUND", `no operator ${input.username}`);
      await replaceOperatorPassword(tx, operator.id, passwordHash);
      return { username: operator.username, role: operator.role, storeId: operator.storeId, password };
    }),
  );
}

/** Disabled: its sessions stop working at once (findSession skips disabled accounts) and it cannot sign in. */
export async function setOperatorEnabled(input: { dataDir: string; username: string; enabled: boolean }): Promise<{ username: string; disabled: boolean }> {
  return withDatabase(input.dataDir, async (db) => {
    if (!(await setOperatorDisabled(db, input.username, !input.enabled))) throw new AdminError("NOT_FOUND", `no operator ${input.username}`);
    return { username: input.username, disabled: !input.enabled };
  });
}

export async function operatorListing(input: { dataDir: string; now?: number }): Promise<{ operators: OperatorListing[] }> {
  const now = input.now ?? Date.now();
  const rows = await withDatabase(input.dataDir, (db) => listOperators(db));
  return { operators: rows.map((row: OperatorRow) => ({ username: row.username, role: row.role, storeId: row.storeId, disabled: row.disabled, locked: row.lockedUntil > now, createdAt: row.createdAt })) };
}
