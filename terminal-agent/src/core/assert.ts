/** Invariants: a failed assertion is a bug, so it crashes (the agent restarts from its journal). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
