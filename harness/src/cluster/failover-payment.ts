/**
 * One code payment through a deployment of several server instances, surviving the loss of any one:
 * the register resends unanswered requests with the same requestId (SimRegister resendEveryMs), and
 * the phone, holding one SimPhone per carrier gateway, moves on to the next gateway when one does
 * not answer. A claim by the same phone again is allowed; an approval that went through but whose
 * answer was lost comes back PAYMENT_SETTLED, and the pushed result tells the outcome.
 */
import type { Money, PaymentStateMessage } from "@codepay/contract";
import type { SimPhone, PhoneResult } from "@codepay/hardware-sim";
import type { SimRegister } from "../register/sim-register.js";

export interface FailoverPhone {
  /** One client per gateway, the same subscriber credential. */
  readonly viaGateway: readonly SimPhone[];
  /** The gateway tried first (moves on after a failure, so a dead one is not tried first again). */
  preferred: number;
}

/** Transport failures and 5xx: another instance may do it. Everything else is the server's answer. */
function worthAnotherGateway(result: PhoneResult<unknown>): boolean {
  return !result.ok && (result.status === 0 || result.status >= 500);
}

async function onAnyGateway<T>(phone: FailoverPhone, call: (client: SimPhone) => Promise<PhoneResult<T>>): Promise<PhoneResult<T>> {
  let last: PhoneResult<T> | undefined;
  for (let tried = 0; tried < phone.viaGateway.length; tried += 1) {
    const index = (phone.preferred + tried) % phone.viaGateway.length;
    last = await call(phone.viaGateway[index]!);
    if (!worthAnotherGateway(last)) {
      phone.preferred = index;
      return last;
    }
  }
  phone.preferred = (phone.preferred + 1) % phone.viaGateway.length;
  return last!;
}

export async function payWithFailover(register: SimRegister, phone: FailoverPhone, paymentId: string, amount: Money): Promise<PaymentStateMessage> {
  const issued = await register.createPayment(paymentId, amount);
  const result = register.waitForResult(paymentId);
  result.catch(() => undefined); // awaited below; a failure before then must not go unhandled
  const claim = await onAnyGateway(phone, (client) => client.claim(issued.code));
  if (!claim.ok) throw new Error(`claim ${paymentId}: ${claim.code} ${claim.message}`);
  const approval = await onAnyGateway(phone, (client) => client.approve(paymentId));
  if (!approval.ok && approval.code !== "PAYMENT_SETTLED") throw new Error(`approve ${paymentId}: ${approval.code} ${approval.message}`);
  return result;
}
