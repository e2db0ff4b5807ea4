/**
 * Polls `probe` until it returns something other than undefined, or fails naming what it waited for.
 * The bound is generous and only decides when a hung run gives up; nothing here measures speed.
 */
export async function pollUntil<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
  throw new Error(`timed out waiting for ${what}${cause}`);
}
