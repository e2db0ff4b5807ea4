/**
 * The registers that keep paying through a restart storm (`npm run bench:connections -- --restart`):
 * real mqtt.js registers (SimRegister) and real phones through the carrier gateway (SimPhone), each
 * payment end to end: payment.create over MQTT -> the phone claims the code and approves -> the
 * pushed result arrives and is acknowledged. After the server is killed they reconnect on the
 * agent's schedule (backoff with full jitter) and pay again as soon as they are back, while the
 * idle registers are still logging in.
 */
import { connectFailureOf, MQTT_RECONNECT_BOUNDS, ReconnectBackoff } from "@codepay/terminal-agent/reconnect-backoff";
import { SimPhone } from "@codepay/hardware-sim";
import { SimRegister } from "../register/sim-register.js";
import { LatencySamples } from "./latency-stats.js";

export interface PayerCredentials {
  readonly storeId: string;
  readonly registerId: string;
  readonly password: string;
  readonly subscriberCredential: string;
}

export interface PaymentRecord {
  /** Epoch ms the phone sent its approval, and when the pushed result arrived. */
  readonly approveAtMs: number;
  readonly resultAtMs: number;
}

export interface PayerFigures {
  readonly payments: PaymentRecord[];
  failed: number;
  firstError: string | undefined;
  /** Epoch ms each payer was back online after the restart. */
  readonly backOnlineAtMs: number[];
}

const AMOUNT_MINOR = 100;
const CURRENCY = "JPY";

export class StormPayers {
  readonly figures: PayerFigures = { payments: [], failed: 0, firstError: undefined, backOnlineAtMs: [] };
  #registers: (SimRegister | undefined)[] = [];
  #paying = false;
  #loops: Promise<void>[] = [];
  #sequence = 0;

  constructor(
    private readonly payers: readonly PayerCredentials[],
    private readonly mqttUrl: string,
    private readonly gatewayUrl: string,
    /** Payments started per second, over all payers together. */
    private readonly paymentsPerS: number,
  ) {}

  /** Connects every payer (retrying on the agent's schedule until the server accepts it). */
  async connectAll(): Promise<void> {
    this.#registers = await Promise.all(this.payers.map(async (payer) => {
      const register = await connectWithBackoff(this.mqttUrl, payer);
      this.figures.backOnlineAtMs.push(Date.now());
      return register;
    }));
  }

  /** Starts paying: each payer connected (or reconnecting) pays in turn at its share of the rate. */
  startPaying(): void {
    this.#paying = true;
    const intervalMs = (1000 * this.payers.length) / this.paymentsPerS;
    this.#loops = this.payers.map((payer, index) => this.#payLoop(payer, index, intervalMs));
  }

  /** Stops starting payments and waits for the ones in flight. */
  async stopPaying(): Promise<void> {
    this.#paying = false;
    await Promise.all(this.#loops);
  }

  /** Drops every payer's connection (the server is about to be killed: they reconnect with connectAll). */
  async disconnect(): Promise<void> {
    await Promise.all(this.#registers.map((register) => register?.stop().catch(() => undefined)));
    this.#registers = [];
  }

  async #payLoop(payer: PayerCredentials, index: number, intervalMs: number): Promise<void> {
    const phone = new SimPhone({ gatewayUrl: this.gatewayUrl, subscriberCredential: payer.subscriberCredential });
    // Spread the payers' starts over one interval.
    await sleep((intervalMs * index) / this.payers.length);
    while (this.#paying) {
      const startedMs = performance.now();
      const register = this.#registers[index];
      if (register !== undefined) await this.#payOnce(register, phone, payer);
      await sleep(Math.max(0, intervalMs - (performance.now() - startedMs)));
    }
  }

  async #payOnce(register: SimRegister, phone: SimPhone, payer: PayerCredentials): Promise<void> {
    const paymentId = `storm-${payer.registerId}-${(this.#sequence += 1)}`;
    try {
      const issued = await register.createPayment(paymentId, { minor: AMOUNT_MINOR, currency: CURRENCY });
      const result = register.waitForResult(paymentId);
      const claim = await phone.claim(issued.code);
      if (!claim.ok) throw new Error(`claim: ${claim.code} ${claim.message}`);
      const approveAtMs = Date.now();
      const approval = await phone.approve(paymentId);
      if (!approval.ok) throw new Error(`approve: ${approval.code} ${approval.message}`);
      const state = await result;
      if (state.state !== "approved") throw new Error(`result ${state.state}`);
      this.figures.payments.push({ approveAtMs, resultAtMs: Date.now() });
    } catch (error) {
      this.figures.failed += 1;
      this.figures.firstError ??= error instanceof Error ? error.message : String(error);
    }
  }
}

async function connectWithBackoff(mqttUrl: string, payer: PayerCredentials): Promise<SimRegister> {
  const backoff = new ReconnectBackoff(MQTT_RECONNECT_BOUNDS, Math.random);
  for (;;) {
    const register = new SimRegister({ mqttUrl, storeId: payer.storeId, registerId: payer.registerId, password: payer.password, replyTimeoutMs: 30_000 });
    try {
      await register.connect();
      return register;
    } catch (error) {
      await register.stop().catch(() => undefined);
      await sleep(backoff.nextDelayMs(Date.now(), connectFailureOf((error as NodeJS.ErrnoException).code, true)));
    }
  }
}

/** Approve -> pushed result of the payments whose approval fell in [fromMs, toMs]. */
export function approveToResult(records: readonly PaymentRecord[], fromMs: number, toMs: number): LatencySamples {
  const samples = new LatencySamples();
  for (const record of records) if (record.approveAtMs >= fromMs && record.approveAtMs <= toMs) samples.add(record.resultAtMs - record.approveAtMs);
  return samples;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
