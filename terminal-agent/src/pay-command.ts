/** `codepay-agent pay`: asks the cashier API for a payment and follows it until it is final. */
import { formatMoney, groupCode } from "@codepay/contract";
import type { CurrencyCode } from "@codepay/contract";
import { countdown } from "./core/screens.js";
import type { PaymentView } from "./core/payment.js";
import { newClientId } from "./ids.js";

const pollIntervalMs = 250;
/** Gives up following after this long past the code's expiry (the server decides by then). */
const followPastExpiryMs = 60_000;
const followWithoutCodeMs = 120_000;

export interface PayOptions {
  readonly api: string;
  readonly amountMinor: number;
  readonly currency: CurrencyCode;
  readonly out: (line: string) => void;
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
  const started = Date.now();
  let codeShown = false;
  for (;;) {
    if (payment.code && !codeShown) {
      codeShown = true;
      out(`CODE ${groupCode(payment.code)}${payment.expiresAt ? ` (expires in ${countdown(payment.expiresAt, Date.now())})` : ""}`);
    }
    if (!["requested", "issued"].includes(payment.state)) break;
    const deadline = payment.expiresAt ? payment.expiresAt + followPastExpiryMs : started + followWithoutCodeMs;
    if (Date.now() > deadline) {
      out(`gave up following: payment is still ${payment.state}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    try {
      const response = await fetch(new URL(`/v1/payments/${paymentId}`, api));
      if (response.ok) payment = ((await response.json()) as { payment: PaymentView }).payment;
    } catch {
      // the agent may be restarting: keep polling until the deadline
    }
  }
  out(`${payment.state.toUpperCase()}${payment.reason ? ` ${payment.reason}` : ""}${payment.reference ? ` ref ${payment.reference}` : ""}`);
  return payment.state === "approved" ? 0 : 1;
}
