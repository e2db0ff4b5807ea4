/** Which language a page is served in: `?lang=` wins, then the browser's Accept-Language, then English. */

export const PAGE_LANGUAGES = ["en", "ja"] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];

function isPageLanguage(value: string): value is PageLanguage {
  return (PAGE_LANGUAGES as readonly string[]).includes(value);
}

/** Parses "ja-JP,ja;q=0.9,en;q=0.8" and returns the supported language with the highest weight. */
export function languageFromAcceptLanguage(header: string | undefined): PageLanguage | undefined {
  if (header === undefined) return undefined;
  let best: { language: PageLanguage; weight: number } | undefined;
  for (const part of header.split(",").slice(0, 32)) {
    const [tag = "", ...parameters] = part.trim().split(";");
    const primary = tag.trim().toLowerCase().split("-")[0] ?? "";
    if (!isPageLanguage(primary)) continue;
    const quality = parameters.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((q) => q !== undefined);
    const weight = quality === undefined ? 1 : Number(quality);
    if (!Number.isFinite(weight) || weight <= 0) continue;
    if (best === undefined || weight > best.weight) best = { language: primary, weight };
  }
  return best?.language;
}

export function pickPageLanguage(queryLang: unknown, acceptLanguage: string | undefined): PageLanguage {
  if (typeof queryLang === "string" && isPageLanguage(queryLang)) return queryLang;
  return languageFromAcceptLanguage(acceptLanguage) ?? "en";
}
