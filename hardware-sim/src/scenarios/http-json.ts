/** Small JSON-over-HTTP helpers for the scenario runner, each request bounded by a timeout. */

export type HttpJsonResult = { readonly ok: true; readonly status: number; readonly json: unknown } | { readonly ok: false; readonly message: string };

export async function requestJson(method: "GET" | "POST", url: string, body: unknown, timeoutMs: number): Promise<HttpJsonResult> {
  try {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      return { ok: false, message: `${method} ${url}: HTTP ${response.status}, body is not JSON` };
    }
    return { ok: true, status: response.status, json };
  } catch (error) {
    return { ok: false, message: `${method} ${url}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Calls `attempt` every `intervalMs` until it returns a value (done) or a string (failed for good),
 * or the deadline passes. `undefined` means "not yet".
 */
export async function pollUntil<T>(
  attempt: () => Promise<{ readonly value: T } | { readonly failure: string } | undefined>,
  what: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<{ readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await attempt().catch((error: unknown) => ({ failure: String(error) }));
    if (outcome !== undefined && "value" in outcome) return { ok: true, value: outcome.value };
    if (outcome !== undefined && "failure" in outcome) return { ok: false, message: outcome.failure };
    if (Date.now() >= deadline) return { ok: false, message: `timed out after ${timeoutMs} ms waiting for ${what}` };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
