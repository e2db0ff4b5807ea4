/**
 * Delivers pushed results from the outbox to registers, after the transaction that wrote them has
 * committed; resends what registers have not acknowledged (on reconnect and periodically), and
 * runs the expiry sweep. Registers dedupe by resultId, so resending is always safe.
 */
import { listOpenPaymentsExpiredBy } from "../db/repositories/payments.js";
import { findPayment } from "../db/repositories/payments.js";
import { listUnackedDue, listUnackedForRegister, markOutboxSent, type OutboxRow } from "../db/repositories/outbox.js";
import { limits } from "../limits.js";
import { ServerMessageSchema, type ServerMessage } from "@codepay/contract";
import type { Db } from "../db/database.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { RegisterAddress } from "./register-address.js";
import type { SettlementContext } from "./context.js";
import { expireIfDue } from "./apply-event.js";
import { runWithOutbox } from "./idempotent-transaction.js";

export type PublishToRegister = (to: RegisterAddress, message: ServerMessage) => Promise<void>;

export class ResultDelivery {
  /** Sends and resends started without a caller to wait for them; stop() drains them before the database closes. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly publish: PublishToRegister,
  ) {}

  /**
   * Fire and forget, right after the commit that wrote the rows: a failed publish is retried by the
   * periodic resend. The rows were stamped sent at insert (outbox.ts), so nothing is written here.
   */
  deliver(rows: readonly OutboxRow[]): void {
    for (const row of rows) this.track(this.send(row, { stampSent: false }));
  }

  /** Fire and forget, when a register comes online: what it has not acknowledged goes out again. */
  resendToRegister(registerId: string): void {
    this.track(
      (async () => {
        const rows = await listUnackedForRegister(this.db, registerId, limits.resultResendBatchMax);
        await Promise.all(rows.map((row) => this.send(row, { stampSent: true })));
      })().catch((error: unknown) => this.logger.warn({ err: error, registerId }, "could not resend results; the periodic resend will")),
    );
  }

  /** Resolves once every fire-and-forget send has settled. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  async resendDue(): Promise<void> {
    const rows = await listUnackedDue(this.db, this.clock() - limits.resultResendIntervalMs, limits.resultResendBatchMax);
    await Promise.all(rows.map((row) => this.send(row, { stampSent: true })));
  }

  private async send(row: OutboxRow, options: { readonly stampSent: boolean }): Promise<void> {
    try {
      const message = ServerMessageSchema.parse(JSON.parse(row.messageJson));
      await this.publish({ storeId: row.storeId, registerId: row.registerId }, message);
      if (options.stampSent) await markOutboxSent(this.db, row.resultId, this.clock());
    } catch (error) {
      this.logger.warn({ err: error, resultId: row.resultId, registerId: row.registerId }, "could not deliver a result; will resend");
    }
  }
}

/** Expires open payments whose time has passed; each in its own transaction, results pushed after commit. */
export async function sweepExpiredPayments(context: SettlementContext): Promise<number> {
  const due = await listOpenPaymentsExpiredBy(context.db, context.clock(), limits.expiryBatchMax);
  let expired = 0;
  for (const candidate of due) {
    expired += await runWithOutbox(context, async (tx, pushed) => {
      const payment = await findPayment(tx, candidate.paymentId);
      if (payment === undefined) return 0;
      const after = await expireIfDue(tx, payment, context.clock(), pushed);
      return after.state === "expired" && payment.state !== "expired" ? 1 : 0;
    });
  }
  if (expired > 0) context.logger.info({ expired }, "expired payments");
  return expired;
}
