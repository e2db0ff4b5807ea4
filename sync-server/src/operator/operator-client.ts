/**
 * What a bench, a test or a script uses to read the server's operator listener: one place that knows
 * the paths and the bearer header, so every caller follows when the listener changes.
 */
export interface OperatorEndpoint {
  /** `RunningServer.operatorUrl`, or the `operator` field of serve's "listening" line. */
  readonly url: string;
  /** The operator token, when the server was started with one. */
  readonly token?: string;
}

function endpointOf(endpoint: OperatorEndpoint | string): OperatorEndpoint {
  return typeof endpoint === "string" ? { url: endpoint } : endpoint;
}

/** GET a path of the operator listener (with the bearer token when there is one). */
export function operatorFetch(endpoint: OperatorEndpoint | string, path: string, init: RequestInit = {}): Promise<Response> {
  const { url, token } = endpointOf(endpoint);
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
  return fetch(new URL(path, url), { ...init, headers });
}

/** The Prometheus text of `GET /metrics`; throws on any status but 200. */
export async function scrapeMetricsText(endpoint: OperatorEndpoint | string): Promise<string> {
  const response = await operatorFetch(endpoint, "/metrics");
  if (response.status !== 200) throw new Error(`GET /metrics on the operator listener: HTTP ${response.status}`);
  return response.text();
}

/** One sample's value from Prometheus text (`name` or `name{labels}` exactly as printed), undefined if absent. */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** `GET /health`: the status code and the report. */
export async function fetchHealth(endpoint: OperatorEndpoint | string): Promise<{ status: number; report: Record<string, unknown> }> {
  const response = await operatorFetch(endpoint, "/health");
  return { status: response.status, report: (await response.json()) as Record<string, unknown> };
}
