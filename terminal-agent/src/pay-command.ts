/** `codepay-agent pay`: asks the cashier API for a payment and follows it until it is final. */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatMoney, groupCode } from "@codepay/contract";
import type { CurrencyCode } from "@codepay/contract";
import { countdown } from "./core/screens.js";
import type { PaymentView } from "./core/payment.js";
import { newClientId } from "./ids.js";

const pollIntervalMs = 250;
/** Gives up following after this long past the code's expiry (the server decides by then). */
const followPastExpiryMs = 60_000;
const followWithoutCodeMs = 120_000;
/** After a timeout's cancel, how long to wait for the server's final word. */
const cancelSettleMs = 10_000;
export const DEFAULT_CASHIER_API = "http://127.0.0.1:7070";

export interface PayOptions {
  readonly api: string;
  readonly amountMinor: number;
  readonly currency: CurrencyCode;
  /** Cancel the payment if it is not final after this long (default: wait for the code to expire). */
  readonly timeoutMs?: number;
  readonly out: (line: string) => void;
}

/**
 * The cashier API to call: `--api`, else the one `npm start` wrote to data/demo.json (under
 * CODEPAY_PORTS=auto its port is not 7070), else the default.
 */
export function cashierApiFor(api: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (api !== undefined) return api;
  const demoFile = join(resolve(cwd, env["CODEPAY_DATA_DIR"] ?? "data"), "demo.json");
  if (!existsSync(demoFile)) return DEFAULT_CASHIER_API;
  try {
    const demo = JSON.parse(readFileSync(demoFile, "utf8")) as { cashierApi?: unknown };
    return typeof demo.cashierApi === "string" ? demo.cashierApi : DEFAULT_CASHIER_API;
  } catch {
    return DEFAULT_CASHIER_API;
  }
}

/** Exit code: 0 approved, 1 anything else. */
export async function payAndFollow(options: PayOptions): Promise<number> {
  const { api, out } = options;
  // The client makes the id, so a retried POST cannot make two payments.
  const paymentId = newClientId();
  const body = JSON.stringify({ amountMinor: options.amountMinor, currency: options.currency, paymentId });
  let payment: PaymentView;
  try {
    const response = await fetch(new URL("/v1/payments", api), { method: "POST", headers: { "content-type": "application/json" }, body });
    const json = (await response.json()) as { payment?: PaymentView; error?: { code: string; message: string } };
    if (!response.ok || !json.payment) {
      out(`refused: ${json.error?.code ?? response.status} ${json.error?.message ?? ""}`.trim());
      return 1;
    }
    payment = json.payment;
  } catch (error) {
    out(`cashier API unreachable at ${api}: ${(error as Error).message}`);
    return 1;
  }
  out(`payment ${paymentId} ${formatMoney({ minor: payment.amount.minor, currency: options.currency })}`);
  const timeoutNote = options.timeoutMs === undefined ? "until the code expires (--timeout S to stop sooner)" : `at most ${options.timeoutMs / 1000} s`;
  out(`waiting for a phone to pay, ${timeoutNote}`);
  payment = await follow(api, payment, options, out);
  out(`${payment.state.toUpperCase()}${payment.reason ? ` ${payment.reason}` : ""}${payment.reference ? ` ref ${payment.reference}` : ""}`);
  return payment.state === "approved" ? 0 : 1;
}

const isOpen = (payment: PaymentView): boolean => ["requested", "issued"].includes(payment.state);

async function follow(api: string, first: PaymentView, options: PayOptions, out: (line: string) => void): Promise<PaymentView> {
  const started = Date.now();
  let payment = first;
  let codeShown = false;
  let cancelledAt: number | undefined;
  while (isOpen(payment)) {
    if (payment.code && !codeShown) {
      codeShown = true;
      out(`CODE ${groupCode(payment.code)}${payment.expiresAt ? ` (expires in ${countdown(payment.expiresAt, Date.now())})` : ""}`);
    }
    const now = Date.now();
    if (cancelledAt === undefined && options.timeoutMs !== undefined && now - started >= options.timeoutMs) {
      out(`not paid within ${options.timeoutMs / 1000} s: cancelling`);
      cancelledAt = now;
      await fetch(new URL(`/v1/payments/${payment.paymentId}/cancel`, api), { method: "POST" }).catch(() => undefined);
    }
    const deadline = cancelledAt !== undefined ? cancelledAt + cancelSettleMs : payment.expiresAt ? payment.expiresAt + followPastExpiryMs : started + followWithoutCodeMs;
    if (now > deadline) {
      out(`gave up following: payment is still ${payment.state}`);
      return payment;
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    try {
      const response = await fetch(new URL(`/v1/payments/${payment.paymentId}`, api));
      if (response.ok) payment = ((await response.json()) as { payment: PaymentView }).payment;
    } catch {
      // the agent may be restarting: keep polling until the deadline
    }
  }
  return payment;
}
