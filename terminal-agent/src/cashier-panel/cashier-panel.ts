/**
 * The cashier panel: a page for stores without a POS application, served by the cashier API
 * (127.0.0.1 only) at GET / with its assets under /assets/ (error-words.json: the contract's ERROR_WORDS,
 * so the page shows words and keeps codes in small print). It uses the cashier API like any POS.
 */
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { AMOUNT_MINOR_MAX, ERROR_WORDS } from "@codepay/contract";

/** terminal-agent/public/cashier/: the same depth from src/cashier-panel/ (vitest) and dist/cashier-panel/ (built). */
const PUBLIC_DIRECTORY = new URL("../../public/cashier/", import.meta.url);

const FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/assets/cashier.js": { file: "cashier.js", type: "text/javascript; charset=utf-8" },
  "/assets/cashier.css": { file: "cashier.css", type: "text/css; charset=utf-8" },
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
} as const;

export interface CashierPanelOptions {
  /** The register's currency: amounts typed in the panel are in it. */
  readonly currency: string;
}

/** Sends the file for `path` and returns true, or returns false when `path` is not one of the panel's. */
export async function serveCashierPanel(path: string, response: ServerResponse, options: CashierPanelOptions): Promise<boolean> {
  if (path === "/assets/error-words.json") {
    const words = Buffer.from(JSON.stringify(ERROR_WORDS));
    response.writeHead(200, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", "content-length": words.length });
    response.end(words);
    return true;
  }
  if (!Object.hasOwn(FILES, path)) return false;
  const entry = FILES[path]!;
  let body = await readFile(new URL(entry.file, PUBLIC_DIRECTORY));
  if (entry.file === "index.html") body = Buffer.from(body.toString("utf8").replaceAll("{{currency}}", options.currency).replaceAll("{{amountMax}}", String(AMOUNT_MINOR_MAX)));
  response.writeHead(200, { ...SECURITY_HEADERS, "content-type": entry.type, "content-length": body.length });
  response.end(body);
  return true;
}
