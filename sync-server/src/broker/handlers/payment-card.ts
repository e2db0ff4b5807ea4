import type { CardPayment, ServerMessage } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { cardPayment } from "../../settlement/register-ledger-requests.js";
import type { RegisterAddress } from "../../settlement/register-requests.js";

/** `payment.card` -> `payment.state` (approved, or declined with the reason). */
export function handlePaymentCard(context: SettlementContext, from: RegisterAddress, request: CardPayment): Promise<ServerMessage | undefined> {
  return cardPayment(context, from, request);
}
