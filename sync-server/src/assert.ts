/** Assertions are for programmer errors: a failure is a bug, so it throws (STYLE.md §5). */
export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
