import type { CreatePayment, ServerMessage } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { createPayment, type RegisterAddress } from "../../settlement/register-requests.js";

/** `payment.create` -> `payment.issued` (or `error`). */
export function handlePaymentCreate(context: SettlementContext, from: RegisterAddress, request: CreatePayment): Promise<ServerMessage> {
  return createPayment(context, from, request);
}
