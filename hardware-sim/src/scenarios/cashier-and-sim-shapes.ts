/**
 * The shapes the scenario reads from the agent's cashier API and the simulator's control API,
 * checked with zod (written from docs/contracts.md, not imported from the agent).
 */
import { z } from "zod";

export const CashierPaymentSchema = z.object({
  paymentId: z.string(),
  state: z.string(),
  amount: z.object({ minor: z.number().int(), currency: z.string() }),
  code: z.string().optional(),
  reason: z.string().optional(),
});
export type CashierPayment = z.infer<typeof CashierPaymentSchema>;

export const CashierPaymentEnvelopeSchema = z.object({ payment: CashierPaymentSchema });

export const DisplayResponseSchema = z.object({ lines: z.tuple([z.string(), z.string()]) });

export const PrinterResponseSchema = z.object({
  receipts: z.array(z.object({ text: z.string(), qr: z.array(z.string()), cut: z.boolean(), drawerKicks: z.number() })),
});
export type ReceiptSummary = z.infer<typeof PrinterResponseSchema>["receipts"][number];

/** Agent states after which a payment never changes. */
export const FINAL_FAILURE_STATES = ["declined", "expired", "cancelled", "failed"];

/**
 * Line 2 of the issued screen: `CODE 482 9137` (groupCode format: up to three groups of at most 4
 * digits, `CODE 482 913 7051` for long codes) left, countdown (`1:59`) right when it fits. A group
 * followed by `:` is the countdown, not the code.
 */
const CODE_ON_DISPLAY = /^CODE (\d{1,4}(?: \d{1,4}(?![\d:])){0,2})(?![\d:])/;

export function codeOnDisplay(line2: string): string | undefined {
  const match = CODE_ON_DISPLAY.exec(line2);
  return match === null ? undefined : match[1]!.replace(/ /g, "");
}
