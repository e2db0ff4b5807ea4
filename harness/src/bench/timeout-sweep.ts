/**
 * One timer for every register and phone of a bench run: once a second each member looks at what it
 * waits for and fails what waited too long (and a register pings when it has been quiet). A timer
 * per request, or even per register, wakes the load generator's event loop on its own schedule: at a
 * few dozen payments a second on a busy machine those wake-ups were a visible part of its CPU.
 */
export interface SweepMember {
  /** Called about once a second with performance.now(). */
  sweep(nowMs: number): void;
}

export class TimeoutSweep {
  readonly #members = new Set<SweepMember>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  add(member: SweepMember): void {
    this.#members.add(member);
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      const nowMs = performance.now();
      for (const each of this.#members) each.sweep(nowMs);
    }, this.intervalMs);
    this.#timer.unref();
  }

  delete(member: SweepMember): void {
    this.#members.delete(member);
    if (this.#members.size > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The sweep the bench's registers and phones share. */
export const benchSweep = new TimeoutSweep(1000);
