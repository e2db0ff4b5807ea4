/**
 * What the pole display shows, as a pure function of the agent's state and the time (contracts.md,
 * "Pole display screens"). Line 2 of the issued screen is read by the simulator: keep `CODE 482 9137`.
 */
import { formatMoney, groupCode } from "@codepay/sync-server/protocol";
import { displayColumns, finalScreenHoldMs } from "./limits.js";
import { isFinalAgentState } from "./payment.js";
import type { Payment } from "./payment.js";

export type ScreenLines = readonly [string, string];

export interface ScreenInput {
  readonly storeName: string;
  readonly linkUp: boolean;
  /** The most recently changed payment, if any. */
  readonly payment?: Payment | undefined;
}

/** Picks the screen: the current payment, a final screen for a few seconds, the line-down notice, or idle. */
export function renderScreen(input: ScreenInput, now: number): ScreenLines {
  const payment = input.payment;
  // An issued code stays on screen while the line is down: the phone talks to the server, not to us.
  if (payment && !isFinalAgentState(payment.state)) return renderPayment(payment, now);
  if (payment && now - payment.updatedAt < finalScreenHoldMs) return renderPayment(payment, now);
  if (!input.linkUp) return lines("MOBILE PAY", "UNAVAILABLE");
  return lines(`WELCOME ${input.storeName}`, "PAY WITH CODE PAY");
}

export function renderPayment(payment: Payment, now: number): ScreenLines {
  const amount = formatMoney(payment.amount);
  switch (payment.state) {
    case "requested":
      return lines(leftRight("TOTAL", amount), "PLEASE WAIT");
    case "issued":
      return lines(leftRight("TOTAL", amount), leftRight(`CODE ${groupCode(payment.code ?? "")}`, countdown(payment.expiresAt ?? now, now)));
    case "approved":
      return lines("APPROVED", amount);
    case "declined":
      return lines("DECLINED", payment.reason ?? "");
    case "expired":
      return lines("CODE EXPIRED", "");
    case "cancelled":
      return lines("CANCELLED", "");
    case "failed":
      return lines("PAYMENT FAILED", payment.reason ?? "");
    case "voided":
      return lines("VOIDED", amount);
  }
}

/** `m:ss` left until expiresAt, rounded up so 119.2 s shows 2:00 and the last second shows 0:01. */
export function countdown(expiresAt: number, now: number): string {
  const seconds = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Left text at the left edge, right text at the right edge, at least one space apart; the right side is cut first. */
export function leftRight(left: string, right: string, width = displayColumns): string {
  const leftPart = left.slice(0, width);
  const room = width - leftPart.length - 1;
  if (room <= 0) return leftPart;
  const rightPart = right.slice(0, room);
  return leftPart + " ".repeat(width - leftPart.length - rightPart.length) + rightPart;
}

function lines(first: string, second: string): ScreenLines {
  return [fit(first), fit(second)];
}

/** Exactly one display line: cut or padded to the width. */
export function fit(text: string, width = displayColumns): string {
  return text.slice(0, width).padEnd(width, " ");
}
