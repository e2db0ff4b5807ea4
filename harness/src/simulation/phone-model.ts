/**
 * A shopper's phone as the server sees it: claim a code read off a register's display, then
 * approve or decline. Calls the server's real shopper-request functions (what the shopper API runs
 * after the carrier assertion checks out). The HTTP hop is faulty too: a request may be lost before
 * the server sees it, or its reply lost after the server committed; the phone then retries with the
 * same requestId, as the real phone does.
 */
import { approvePayment, claimCode, declinePayment, findPhone, type SettlementContext } from "@codepay/sync-server/parts";
import type { Prng } from "./prng.js";

type Stage = { kind: "claim"; code: string } | { kind: "decide"; paymentId: string; decision: "approve" | "decline" };

interface Flow {
  stage: Stage;
  requestId: string;
}

export interface PhoneFaults {
  readonly lostRequestProbability: number;
  readonly lostReplyProbability: number;
  readonly abandonProbability: number;
}

export class PhoneModel {
  #flow: Flow | undefined;
  requests = 0;

  constructor(
    readonly phoneId: string,
    private readonly prng: Prng,
    private readonly newId: () => string,
  ) {}

  get busy(): boolean {
    return this.#flow !== undefined;
  }

  /** Starts a payment with a code the shopper read off a display (or mistyped). */
  begin(code: string): void {
    this.#flow = { stage: { kind: "claim", code }, requestId: this.newId() };
  }

  /** One attempt at the current request. Returns a line for the trace. */
  async act(context: SettlementContext | undefined, faults: PhoneFaults): Promise<string> {
    const flow = this.#flow;
    if (flow === undefined) return `${this.phoneId} idle`;
    if (this.prng.chance(faults.abandonProbability)) {
      this.#flow = undefined;
      return `${this.phoneId} abandons ${describe(flow.stage)}`;
    }
    if (context === undefined) return `${this.phoneId} ${describe(flow.stage)}: server down`;
    if (this.prng.chance(faults.lostRequestProbability)) return `${this.phoneId} ${describe(flow.stage)}: request lost`;
    const phone = await findPhone(context.db, this.phoneId);
    if (phone === undefined) throw new Error(`phone ${this.phoneId} is not enrolled`);
    this.requests += 1;
    const stage = flow.stage;
    const request = { requestId: flow.requestId };
    const result =
      stage.kind === "claim"
        ? await claimCode(context, phone, { ...request, code: stage.code })
        : stage.decision === "approve"
          ? await approvePayment(context, phone, stage.paymentId, request)
          : await declinePayment(context, phone, stage.paymentId, request);
    const outcome = result.ok ? "ok" : result.code;
    if (this.prng.chance(faults.lostReplyProbability)) return `${this.phoneId} ${describe(stage)} req=${short(flow.requestId)}: ${outcome}, reply lost`;
    if (stage.kind === "claim" && result.ok) {
      const paymentId = (result.body as { paymentId: string }).paymentId;
      const decision = this.prng.chance(0.85) ? "approve" : "decline";
      this.#flow = { stage: { kind: "decide", paymentId, decision }, requestId: this.newId() };
    } else {
      this.#flow = undefined;
    }
    return `${this.phoneId} ${describe(stage)} req=${short(flow.requestId)}: ${outcome}`;
  }
}

function describe(stage: Stage): string {
  return stage.kind === "claim" ? `claim ${stage.code}` : `${stage.decision} ${short(stage.paymentId)}`;
}

export function short(id: string): string {
  return id.slice(0, 8);
}
