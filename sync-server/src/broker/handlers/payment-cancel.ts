import type { CancelPayment, ServerMessage } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { cancelPayment, type RegisterAddress } from "../../settlement/register-requests.js";

/** `payment.cancel` -> `payment.state` (cancelled, or the final state it already had). */
export function handlePaymentCancel(context: SettlementContext, from: RegisterAddress, request: CancelPayment): Promise<ServerMessage> {
  return cancelPayment(context, from, request);
}
