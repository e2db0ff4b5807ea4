import type { PaymentStatusRequest, ServerMessage } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { paymentStatus, type RegisterAddress } from "../../settlement/register-requests.js";

/** `payment.status` -> `payment.state`. */
export function handlePaymentStatus(context: SettlementContext, from: RegisterAddress, request: PaymentStatusRequest): Promise<ServerMessage> {
  return paymentStatus(context, from, request);
}
