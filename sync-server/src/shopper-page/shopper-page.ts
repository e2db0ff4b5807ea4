/**
 * The shopper page: one HTML file, one CSS file and small ES modules, no build step. The shopper API
 * serves them (GET /, /pay, /assets/<file>); the carrier gateway passes those GETs through without a
 * subscriber credential (gateway-pass-through.ts), so a phone opens the page on the gateway and its
 * API calls (/api/v1/...) go through the gateway with the credential like any other phone request.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import { pickPageLanguage } from "./page-language.js";

/** sync-server/public/shopper/: the same depth from src/shopper-page/ (vitest) and dist/shopper-page/ (built). */
const PUBLIC_DIRECTORY = new URL("../../public/shopper/", import.meta.url);

export const SHOPPER_PAGE_PATHS = ["/", "/pay"] as const;
export const SHOPPER_ASSET_PREFIX = "/assets/";

/** The only files served: a fixed list, so no path from a request ever reaches the file system. */
const ASSET_TYPES: Readonly<Record<string, string>> = {
  "shopper.js": "text/javascript; charset=utf-8",
  "code-entry.js": "text/javascript; charset=utf-8",
  "payment-code.js": "text/javascript; charset=utf-8",
  "messages.js": "text/javascript; charset=utf-8",
  "wallet-format.js": "text/javascript; charset=utf-8",
  "wallet-view.js": "text/javascript; charset=utf-8",
  "short-reference.js": "text/javascript; charset=utf-8",
  "shopper.css": "text/css; charset=utf-8",
};

/** The asset names served under SHOPPER_ASSET_PREFIX, and nothing else (the gateway passes exactly these through). */
export const SHOPPER_ASSET_FILES: readonly string[] = Object.keys(ASSET_TYPES);

/** Scripts and styles from this origin only; fetch() to this origin only (the API behind the gateway). */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The part of a fastify instance the page needs (any logger type). */
export interface PageRoutesHost {
  get(path: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>): unknown;
}

export interface ShopperPageOptions {
  /** Digits of a code issued now, check digit included (the sized random digits + 1): the page's hint. */
  readonly codeLength: () => number;
  /** Every length the server may have issued, check digit included: the page accepts these. */
  readonly codeLengthMin: number;
  readonly codeLengthMax: number;
}

/**
 * Assets that are not in public/shopper/ but built elsewhere: the payment code with its Damm check
 * digit is the contract's own build, so the page and the server check codes with one definition.
 */
const BUILT_ASSETS: Readonly<Record<string, () => URL>> = {
  "payment-code.js": () => pathToFileURL(createRequire(import.meta.url).resolve("@codepay/contract/payment-code.js")),
  "short-reference.js": () => pathToFileURL(createRequire(import.meta.url).resolve("@codepay/contract/short-reference.js")),
};

const fileCache = new Map<string, Promise<string>>();

function publicFile(name: string): Promise<string> {
  let text = fileCache.get(name);
  if (text === undefined) {
    const built = Object.hasOwn(BUILT_ASSETS, name) ? BUILT_ASSETS[name] : undefined;
    text =
      built !== undefined
        ? // Without its source-map comment: the map is not served.
          readFile(built(), "utf8").then((source) => source.replace(/^\/\/# sourceMappingURL=.*$/m, ""))
        : readFile(new URL(name, PUBLIC_DIRECTORY), "utf8");
    text.catch(() => fileCache.delete(name));
    fileCache.set(name, text);
  }
  return text;
}

export function registerShopperPage(app: PageRoutesHost, options: ShopperPageOptions): void {
  const page = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const query = request.query as { lang?: unknown };
    const language = pickPageLanguage(query.lang, request.headers["accept-language"]);
    const html = (await publicFile("index.html"))
      .replaceAll("{{lang}}", language)
      .replaceAll("{{codeLength}}", String(options.codeLength()))
      .replaceAll("{{codeLengthMin}}", String(options.codeLengthMin))
      .replaceAll("{{codeLengthMax}}", String(options.codeLengthMax));
    return reply.code(200).headers({ ...PAGE_SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", vary: "accept-language" }).send(html);
  };
  for (const path of SHOPPER_PAGE_PATHS) app.get(path, page);
  app.get(`${SHOPPER_ASSET_PREFIX}:file`, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    const type = Object.hasOwn(ASSET_TYPES, file) ? ASSET_TYPES[file] : undefined;
    if (type === undefined) return reply.code(404).send({ error: { code: "NOT_FOUND", message: `no asset ${file}` } });
    return reply.code(200).headers({ ...PAGE_SECURITY_HEADERS, "content-type": type }).send(await publicFile(file));
  });
}
