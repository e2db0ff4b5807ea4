/** The dashboard's page and assets: a fixed list of files in hardware-sim/public/dashboard/. */
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";

/** The same depth from src/dashboard-web/ (vitest) and dist/dashboard-web/ (built). */
const PUBLIC_DIRECTORY = new URL("../../public/dashboard/", import.meta.url);

/** URL path -> file and type. Nothing else is served, so no request path reaches the file system. */
const FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/assets/dashboard.js": { file: "dashboard.js", type: "text/javascript; charset=utf-8" },
  "/assets/qr-drawing.js": { file: "qr-drawing.js", type: "text/javascript; charset=utf-8" },
  "/assets/dashboard.css": { file: "dashboard.css", type: "text/css; charset=utf-8" },
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
} as const;

export function isDashboardFile(path: string): boolean {
  return Object.hasOwn(FILES, path);
}

export async function sendDashboardFile(path: string, response: ServerResponse): Promise<void> {
  const entry = FILES[path]!;
  const body = await readFile(new URL(entry.file, PUBLIC_DIRECTORY));
  response.writeHead(200, { ...SECURITY_HEADERS, "content-type": entry.type, "content-length": body.length });
  response.end(body);
}
