/** The shopper page is served by the shopper API and passed through by the carrier gateway to anyone. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { languageFromAcceptLanguage, pickPageLanguage } from "../../src/shopper-page/page-language.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.stop();
});

describe("the shopper page", () => {
  it("is served at / and /pay with the code length and the language", async () => {
    for (const path of ["/", "/pay"]) {
      const response = await fetch(new URL(path, t.server.shopperApiUrl));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await response.text();
      // A code issued now has 7 digits; the server may have issued 7 to 12 (its length follows the registers).
      expect(html).toContain('<html lang="en" data-code-length="7" data-code-length-min="7" data-code-length-max="12">');
    }
    const japanese = await fetch(new URL("/?lang=ja", t.server.shopperApiUrl));
    expect(await japanese.text()).toContain('lang="ja"');
  });

  it("reaches a phone through the carrier gateway without a credential; the API still needs one", async () => {
    const page = await fetch(new URL("/pay", t.server.gatewayUrl), { headers: { "accept-language": "ja-JP,ja;q=0.9,en;q=0.5" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lang="ja"');
    const script = await fetch(new URL("/assets/shopper.js", t.server.gatewayUrl));
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    const claim = await fetch(new URL("/api/v1/claims", t.server.gatewayUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ requestId: "page-test-0001", code: "0000000" }),
    });
    expect(claim.status).toBe(401);
    expect(((await claim.json()) as { error: { code: string } }).error.code).toBe("SUBSCRIBER_UNKNOWN");
  });

  it("serves only its own files", async () => {
    for (const path of ["/assets/..%2Fpackage.json", "/assets/index.html", "/assets/nothing.js"]) {
      const response = await fetch(new URL(path, t.server.shopperApiUrl));
      expect(response.status, path).toBe(404);
    }
  });
});

describe("page language", () => {
  it("takes ?lang first, then the highest-weighted supported Accept-Language, then English", () => {
    expect(pickPageLanguage("ja", "en")).toBe("ja");
    expect(pickPageLanguage("xx", "fr, ja;q=0.8, en;q=0.5")).toBe("ja");
    expect(pickPageLanguage(undefined, "en-GB, ja;q=0.9")).toBe("en");
    expect(pickPageLanguage(undefined, undefined)).toBe("en");
    expect(languageFromAcceptLanguage("ja;q=0, en;q=0.1")).toBe("en");
    expect(languageFromAcceptLanguage("de")).toBeUndefined();
  });
});
