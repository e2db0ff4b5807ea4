/** The time, injected (STYLE.md section 3): the core never calls Date.now(); tests pass a fixed clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
