import type { Prng } from "../simulation/prng.js";

/** One parser or handler under fuzz. `run` draws its input from the PRNG and throws on a crash. */
export interface FuzzTarget {
  readonly name: string;
  run(prng: Prng): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** A handler that did not crash but answered without a clear error (a 500, INTERNAL, an unlisted code). */
export class FuzzFailure extends Error {}
