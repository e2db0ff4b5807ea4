import type { VoidPayment, ServerMessage } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { voidPayment } from "../../settlement/register-ledger-requests.js";
import type { RegisterAddress } from "../../settlement/register-requests.js";

/** `payment.void` -> `payment.state` voided (or `error`: VOID_NOT_ALLOWED, PERIOD_CLOSED, ...). */
export function handlePaymentVoid(context: SettlementContext, from: RegisterAddress, request: VoidPayment): Promise<ServerMessage> {
  return voidPayment(context, from, request);
}
