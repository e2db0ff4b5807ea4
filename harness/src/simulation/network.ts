/**
 * The fake line between registers and the server: protocol JSON in envelopes, delivered at a
 * simulated time. It drops, duplicates, delays (and so reorders) and partitions, all from the seed.
 */
import type { Prng } from "./prng.js";

export const SERVER_NODE = "server";

export interface Envelope {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly payload: string;
  readonly deliverAt: number;
}

export interface NetworkFaults {
  /** Probability a message is lost. */
  readonly dropProbability: number;
  /** Probability a message arrives twice. */
  readonly duplicateProbability: number;
  /** Longest delay a message may take; random delays reorder messages. */
  readonly delayMsMax: number;
}

export const CALM: NetworkFaults = { dropProbability: 0, duplicateProbability: 0, delayMsMax: 20 };

export class SimNetwork {
  #queue: Envelope[] = [];
  #nextId = 1;
  faults: NetworkFaults;
  /** Registers cut off from the server (both directions). */
  readonly partitioned = new Set<string>();
  sent = 0;
  dropped = 0;
  duplicated = 0;

  constructor(
    private readonly prng: Prng,
    faults: NetworkFaults,
  ) {
    this.faults = faults;
  }

  get inFlight(): number {
    return this.#queue.length;
  }

  isCut(registerId: string): boolean {
    return this.partitioned.has(registerId);
  }

  send(from: string, to: string, payload: string, now: number): void {
    this.sent += 1;
    const register = from === SERVER_NODE ? to : from;
    if (this.isCut(register) || this.prng.chance(this.faults.dropProbability)) {
      this.dropped += 1;
      return;
    }
    const copies = this.prng.chance(this.faults.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.duplicated += 1;
    for (let i = 0; i < copies; i += 1) {
      this.#queue.push({ id: this.#nextId++, from, to, payload, deliverAt: now + this.prng.int(this.faults.delayMsMax + 1) });
    }
  }

  /** Messages due by `now`, in delivery order; messages across a partition are lost. */
  takeDue(now: number): Envelope[] {
    const due = this.#queue.filter((envelope) => envelope.deliverAt <= now);
    if (due.length === 0) return [];
    this.#queue = this.#queue.filter((envelope) => envelope.deliverAt > now);
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.id - b.id);
    return due.filter((envelope) => {
      const register = envelope.from === SERVER_NODE ? envelope.to : envelope.from;
      if (!this.isCut(register)) return true;
      this.dropped += 1;
      return false;
    });
  }

  /** A crashed node loses what was on its way to it (the broker's in-memory queues die with it). */
  dropAllTo(node: string): void {
    const before = this.#queue.length;
    this.#queue = this.#queue.filter((envelope) => envelope.to !== node);
    this.dropped += before - this.#queue.length;
  }

  /** Everything in flight to or from this register (a partition or a server crash cuts the session). */
  dropAllOf(registerId: string): void {
    const before = this.#queue.length;
    this.#queue = this.#queue.filter((envelope) => envelope.from !== registerId && envelope.to !== registerId);
    this.dropped += before - this.#queue.length;
  }
}
