/** Epoch milliseconds. Injected everywhere so tests can move time (TigerBeetle's Time interface). */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
