import type { RefundRequest, ServerMessage } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { refundPayment } from "../../settlement/register-ledger-requests.js";
import type { RegisterAddress } from "../../settlement/register-requests.js";

/** `refund.create` -> `refund.result` (or `error`: REFUND_EXCEEDS_ORIGINAL, ...). */
export function handleRefundCreate(context: SettlementContext, from: RegisterAddress, request: RefundRequest): Promise<ServerMessage> {
  return refundPayment(context, from, request);
}
