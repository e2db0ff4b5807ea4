/**
 * Who sees what in the operator console: an administrator every store, a store operator only the
 * store its account names. Pure; the routes ask before every read and every change, and a payment
 * of another store answers exactly like a payment that does not exist.
 */
import type { OperatorIdentity } from "../db/repositories/operators.js";

/** The store a read is limited to: a store operator's own, whatever was asked; an administrator's choice (undefined: all). */
export function storeScope(operator: OperatorIdentity, requested: string | undefined): string | undefined {
  if (operator.role === "store") return operator.storeId ?? "\u0000no-store";
  return requested === undefined || requested === "" ? undefined : requested;
}

export function maySeeStore(operator: OperatorIdentity, storeId: string): boolean {
  return operator.role === "admin" || operator.storeId === storeId;
}

/** The ledger check covers every store's accounts, the audit every operator: administrators only. */
export function isAdministrator(operator: OperatorIdentity): boolean {
  return operator.role === "admin";
}
