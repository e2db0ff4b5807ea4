/** One code payment end to end through the real server: register issues, phone claims and approves. */
import type { PaymentIssued } from "@codepay/contract";
import type { PhoneClient } from "./phone-client.js";
import { newRequestId, type RegisterClient } from "./register-client.js";

let counter = 0;

export function newPaymentId(prefix = "pay"): string {
  counter += 1;
  return `${prefix}-${counter}-${newRequestId().slice(0, 8)}`;
}

export async function issuePayment(register: RegisterClient, amountMinor: number, paymentId = newPaymentId(), currency = "JPY"): Promise<PaymentIssued> {
  const reply = await register.request({ type: "payment.create", paymentId, amount: { minor: amountMinor, currency } });
  if (reply.type !== "payment.issued") throw new Error(`expected payment.issued, got ${JSON.stringify(reply)}`);
  return reply;
}

/** Returns the approved payment's id and ledger reference. */
export async function payWithCode(register: RegisterClient, phone: PhoneClient, amountMinor: number): Promise<{ paymentId: string; reference: string }> {
  const issued = await issuePayment(register, amountMinor);
  const claim = await phone.claim(issued.code);
  if (claim.status !== 200) throw new Error(`claim failed: ${JSON.stringify(claim)}`);
  const approve = await phone.approve(issued.paymentId);
  if (approve.status !== 200) throw new Error(`approve failed: ${JSON.stringify(approve)}`);
  return { paymentId: issued.paymentId, reference: String(approve.body["reference"]) };
}
