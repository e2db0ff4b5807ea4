/**
 * A payment has two names (issue 18, item 7). The register's: the client-made id it journals before
 * sending, unique per register, the only name the register line reads or answers with. The server's
 * (`payment_id`): unique everywhere, what phones, the ledger, the audit chain, the outbox and operators
 * use. The server's name is the register's when no other payment holds it (so logs, receipts and the
 * phone show the id the register made), else a fresh server-made id. Either way the register's request
 * succeeds alike, so a register learns nothing about the ids of other registers.
 */
import type { Queryable } from "../db/database.js";
import { paymentIdTakenOp } from "../db/repositories/payments.js";
import type { Operation } from "../engine/operation.js";
import { runOn } from "../engine/run-on-kysely.js";
import { newId } from "../ids.js";

/** The server's name for a register's new payment: its own id unless another payment holds it. */
export function* serverPaymentIdOp(registerPaymentId: string): Operation<string> {
  return (yield* paymentIdTakenOp(registerPaymentId)) ? newId() : registerPaymentId;
}

export function serverPaymentId(db: Queryable, registerPaymentId: string): Promise<string> {
  return runOn(db, serverPaymentIdOp(registerPaymentId));
}
