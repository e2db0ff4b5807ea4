/**
 * Operator console accounts, sessions and the audit of what operators changed (migration 0011).
 * Only the SHA-256 of a session token is stored; operator/console-session.ts makes and checks tokens.
 */
import type { Db, Queryable } from "../database.js";
import type { OperatorRole } from "../schema.js";

export interface OperatorRow {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: OperatorRole;
  /** The store a "store" operator sees; null for "admin". */
  readonly storeId: string | null;
  readonly disabled: boolean;
  readonly failedSignIns: number;
  readonly lockedUntil: number;
  readonly createdAt: number;
}

/** Who is signed in, as every console page needs it. */
export interface OperatorIdentity {
  readonly operatorId: string;
  readonly username: string;
  readonly role: OperatorRole;
  readonly storeId: string | null;
}

export interface SessionRow extends OperatorIdentity {
  readonly tokenSha256: string;
  readonly csrfToken: string;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
}

function toOperator(row: { id: string; username: string; password_hash: string; role: OperatorRole; store_id: string | null; disabled: number; failed_sign_ins: number; locked_until: number | string; created_at: number | string }): OperatorRow {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    storeId: row.store_id,
    disabled: Number(row.disabled) !== 0,
    failedSignIns: Number(row.failed_sign_ins),
    lockedUntil: Number(row.locked_until),
    createdAt: Number(row.created_at),
  };
}

export async function insertOperator(db: Queryable, operator: { id: string; username: string; passwordHash: string; role: OperatorRole; storeId: string | null; createdAt: number }): Promise<boolean> {
  const result = await db
    .insertInto("operators")
    .values({ id: operator.id, username: operator.username, password_hash: operator.passwordHash, role: operator.role, store_id: operator.storeId, created_at: operator.createdAt })
    .onConflict((oc) => oc.column("username").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findOperatorByUsername(db: Queryable, username: string): Promise<OperatorRow | undefined> {
  const row = await db.selectFrom("operators").selectAll().where("username", "=", username).executeTakeFirst();
  return row === undefined ? undefined : toOperator(row);
}

export async function listOperators(db: Queryable): Promise<OperatorRow[]> {
  const rows = await db.selectFrom("operators").selectAll().orderBy("username").execute();
  return rows.map(toOperator);
}

export async function setOperatorDisabled(db: Queryable, username: string, disabled: boolean): Promise<boolean> {
  const result = await db.updateTable("operators").set({ disabled: disabled ? 1 : 0 }).where("username", "=", username).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A new password: the failure count and any lock cleared, and every session of the account ended. */
export async function replaceOperatorPassword(db: Queryable, operatorId: string, passwordHash: string): Promise<void> {
  await db.updateTable("operators").set({ password_hash: passwordHash, failed_sign_ins: 0, locked_until: 0 }).where("id", "=", operatorId).execute();
  await db.deleteFrom("operator_sessions").where("operator_id", "=", operatorId).execute();
}

/** A wrong password: one more failure, and the lock once there are `failuresMax` in a row. */
export async function recordSignInFailure(db: Queryable, operatorId: string, failuresMax: number, lockedUntil: number): Promise<void> {
  await db
    .updateTable("operators")
    .set((eb) => ({
      failed_sign_ins: eb("failed_sign_ins", "+", 1),
      locked_until: eb.case().when("failed_sign_ins", ">=", failuresMax - 1).then(lockedUntil).else(eb.ref("locked_until")).end(),
    }))
    .where("id", "=", operatorId)
    .execute();
}

export async function clearSignInFailures(db: Queryable, operatorId: string): Promise<void> {
  await db.updateTable("operators").set({ failed_sign_ins: 0, locked_until: 0 }).where("id", "=", operatorId).execute();
}

export async function insertSession(db: Queryable, session: { tokenSha256: string; operatorId: string; csrfToken: string; now: number; expiresAt: number }): Promise<void> {
  await db
    .insertInto("operator_sessions")
    .values({ token_sha256: session.tokenSha256, operator_id: session.operatorId, csrf_token: session.csrfToken, created_at: session.now, last_seen_at: session.now, expires_at: session.expiresAt })
    .execute();
}

/** The session and its operator, if the operator is still enabled; expiry is the caller's check. */
export async function findSession(db: Queryable, tokenSha256: string): Promise<SessionRow | undefined> {
  const row = await db
    .selectFrom("operator_sessions")
    .innerJoin("operators", "operators.id", "operator_sessions.operator_id")
    .select(["operator_sessions.token_sha256", "operator_sessions.csrf_token", "operator_sessions.last_seen_at", "operator_sessions.expires_at", "operators.id", "operators.username", "operators.role", "operators.store_id", "operators.disabled"])
    .where("operator_sessions.token_sha256", "=", tokenSha256)
    .executeTakeFirst();
  if (row === undefined || Number(row.disabled) !== 0) return undefined;
  return {
    tokenSha256: row.token_sha256,
    csrfToken: row.csrf_token,
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    operatorId: row.id,
    username: row.username,
    role: row.role,
    storeId: row.store_id,
  };
}

export async function touchSession(db: Queryable, tokenSha256: string, now: number): Promise<void> {
  await db.updateTable("operator_sessions").set({ last_seen_at: now }).where("token_sha256", "=", tokenSha256).execute();
}

export async function deleteSession(db: Queryable, tokenSha256: string): Promise<void> {
  await db.deleteFrom("operator_sessions").where("token_sha256", "=", tokenSha256).execute();
}

/** Sessions past their absolute end or idle too long (run at sign-in, so the table stays small). */
export async function deleteEndedSessions(db: Queryable, now: number, idleMs: number): Promise<void> {
  await db
    .deleteFrom("operator_sessions")
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<=", now - idleMs)]))
    .execute();
}

export interface OperatorAuditEntry {
  readonly id: string;
  readonly operatorId: string;
  readonly action: "sign-in" | "sign-out" | "refund";
  readonly target: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly at: number;
}

export async function appendOperatorAudit(db: Queryable, entry: OperatorAuditEntry): Promise<void> {
  await db
    .insertInto("operator_audit")
    .values({ id: entry.id, operator_id: entry.operatorId, action: entry.action, target: entry.target, detail_json: JSON.stringify(entry.detail), at: entry.at })
    .execute();
}

export async function listOperatorAudit(db: Db, limit: number): Promise<(OperatorAuditEntry & { readonly username: string })[]> {
  const rows = await db
    .selectFrom("operator_audit")
    .innerJoin("operators", "operators.id", "operator_audit.operator_id")
    .select(["operator_audit.id", "operator_audit.operator_id", "operator_audit.action", "operator_audit.target", "operator_audit.detail_json", "operator_audit.at", "operators.username"])
    .orderBy("operator_audit.at", "desc")
    .orderBy("operator_audit.id", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    operatorId: row.operator_id,
    action: row.action as OperatorAuditEntry["action"],
    target: row.target,
    detail: JSON.parse(row.detail_json) as Record<string, unknown>,
    at: Number(row.at),
    username: row.username,
  }));
}
