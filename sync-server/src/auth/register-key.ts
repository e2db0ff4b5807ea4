/**
 * The deployment's register key: 32 random bytes in `<dataDir>/register-key` (mode 0600), the key of
 * every register password hash (register-password.ts). It lives beside the database, never in it, and
 * never leaves the server (unlike the card key, agents do not get it). Every instance of a scale-out
 * deployment needs the same file (docs/deploy: copy it with `card-key` and `carrier-keys/`).
 *
 * Created on first use, except where it would split the deployment: when the database already holds
 * keyed register hashes, a missing key file is an error (a fresh key would refuse every register),
 * and `serve` warns when those hashes name another key.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Queryable } from "../db/database.js";
import { loadOrCreateKeyFile } from "./key-file.js";
import { REGISTER_HASH_SCHEME, registerKeyIdOf, registerKeyOf, type RegisterKey } from "./register-password.js";

const REGISTER_KEY_BYTES = 32;

export function registerKeyPath(dataDir: string): string {
  return join(dataDir, "register-key");
}

/** The key file as it is (created if missing), without the database check: seeding tools and tests. */
export function loadOrCreateRegisterKey(dataDir: string): RegisterKey {
  return registerKeyOf(loadOrCreateKeyFile(registerKeyPath(dataDir), dataDir, REGISTER_KEY_BYTES));
}

export class RegisterKeyMissingError extends Error {}

/** Keyed register hashes in the database, by the key id they name (at most a few distinct ids). */
export async function registerKeyIdsInUse(db: Queryable): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("registers")
    .select(["password_hash"])
    .where("password_hash", "like", `${REGISTER_HASH_SCHEME}$%`)
    .execute();
  const counts = new Map<string, number>();
  for (const row of rows) {
    const id = registerKeyIdOf(row.password_hash) ?? "unreadable";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The register key for this data directory; refuses to invent one while keyed rows exist. */
export async function openRegisterKey(db: Queryable, dataDir: string): Promise<{ key: RegisterKey; rowsWithOtherKeys: number }> {
  const inUse = await registerKeyIdsInUse(db);
  const path = registerKeyPath(dataDir);
  if (!existsSync(path) && inUse.size > 0) {
    const rows = [...inUse.values()].reduce((sum, count) => sum + count, 0);
    throw new RegisterKeyMissingError(
      `${path} is missing, but ${rows} register password(s) in the database are keyed with a register key: copy register-key from another instance's data directory (mode 0600); a new key would refuse every register`,
    );
  }
  const key = loadOrCreateRegisterKey(dataDir);
  let rowsWithOtherKeys = 0;
  for (const [id, count] of inUse) if (id !== key.id) rowsWithOtherKeys += count;
  return { key, rowsWithOtherKeys };
}
