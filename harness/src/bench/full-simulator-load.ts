/**
 * `npm run bench -- --generator sim`: the payments bench driven by the full simulators instead of its
 * lean register and phone, to see what the load generator itself costs (issue 14's before/after, in the
 * same minutes). SimRegister is a real mqtt.js client checking every message with zod, with a timer per
 * request; SimPhone is node:http with zod. Same protocol, same steps, same checks on the fields used.
 */
import type { CurrencyCode } from "@codepay/contract";
import { SimPhone } from "@codepay/hardware-sim";
import { SimRegister } from "../register/sim-register.js";
import type { LeanApproval, LeanClaim } from "./lean-phone.js";
import type { LeanIssued, LeanResult } from "./lean-register.js";

/** What the bench needs of a register: the lean one and the full simulator both do this. */
export interface BenchRegister {
  connect(): Promise<void>;
  create(paymentId: string, amountMinor: number, currency: string): Promise<LeanIssued>;
  result(paymentId: string): Promise<LeanResult>;
  stop(): Promise<void>;
}

/** What the bench needs of a phone. */
export interface BenchPhone {
  claim(code: string): Promise<LeanClaim>;
  approve(paymentId: string): Promise<LeanApproval>;
  stop(): void;
}

export class FullSimulatorRegister implements BenchRegister {
  readonly #register: SimRegister;

  constructor(options: { mqttUrl: string; storeId: string; registerId: string; password: string }) {
    this.#register = new SimRegister(options);
  }

  connect(): Promise<void> {
    return this.#register.connect();
  }

  async create(paymentId: string, amountMinor: number, currency: string): Promise<LeanIssued> {
    const issued = await this.#register.createPayment(paymentId, { minor: amountMinor, currency: currency as CurrencyCode });
    return { code: issued.code, paymentId: issued.paymentId };
  }

  async result(paymentId: string): Promise<LeanResult> {
    const state = await this.#register.waitForResult(paymentId);
    return { state: state.state, paymentId: state.paymentId };
  }

  stop(): Promise<void> {
    return this.#register.stop();
  }
}

export class FullSimulatorPhone implements BenchPhone {
  readonly #phone: SimPhone;

  constructor(options: { gatewayUrl: string; subscriberCredential: string }) {
    this.#phone = new SimPhone(options);
  }

  async claim(code: string): Promise<LeanClaim> {
    const claim = await this.#phone.claim(code);
    if (!claim.ok) throw new Error(`claim: ${claim.code} ${claim.message}`);
    const { paymentId, storeName, amount } = claim.value;
    return { paymentId, storeName, amountMinor: amount.minor, currency: amount.currency };
  }

  async approve(paymentId: string): Promise<LeanApproval> {
    const approval = await this.#phone.approve(paymentId);
    if (!approval.ok) throw new Error(`approve: ${approval.code} ${approval.message}`);
    return { paymentId: approval.value.paymentId, state: approval.value.state };
  }

  stop(): void {}
}
