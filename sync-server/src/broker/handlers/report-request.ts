import type { ReportRequest, ServerMessage } from "@codepay/contract";
import type { SettlementContext } from "../../settlement/context.js";
import { reportRequest } from "../../settlement/register-ledger-requests.js";
import type { RegisterAddress } from "../../settlement/register-requests.js";

/** `report.request` -> `report` (a Z closes the register's period). */
export function handleReportRequest(context: SettlementContext, from: RegisterAddress, request: ReportRequest): Promise<ServerMessage> {
  return reportRequest(context, from, request);
}
