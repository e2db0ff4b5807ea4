import type { ResultAck } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { acknowledgeResult, type RegisterAddress } from "../../settlement/register-requests.js";

/** `result.ack` -> no reply; the result stops being resent. */
export async function handleResultAck(context: SettlementContext, from: RegisterAddress, request: ResultAck): Promise<undefined> {
  await acknowledgeResult(context, from, request);
  return undefined;
}
