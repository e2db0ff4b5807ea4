/** The console's pure parts: session cookie and CSRF checks, who sees what, the search form, escaping. */
import { describe, expect, it } from "vitest";
import { clearedSessionCookie, csrfMatches, newToken, originAllowed, sessionCookie, sessionIsLive, sessionTokenOf, signInVerdict, tokenSha256 } from "../../src/operator/console-session.js";
import { isAdministrator, maySeeStore, storeScope } from "../../src/operator/console-access.js";
import { buildSearch, pageKeyOf, utcDayStart } from "../../src/operator/console-routes.js";
import { escapeHtml, paymentsPage, signInPage } from "../../src/operator/console-pages.js";
import type { OperatorIdentity } from "../../src/db/repositories/operators.js";

const admin: OperatorIdentity = { operatorId: "op-1", username: "ada", role: "admin", storeId: null };
const clerk: OperatorIdentity = { operatorId: "op-2", username: "sam", role: "store", storeId: "store-a" };

describe("console session", () => {
  it("makes 43-character tokens, stores only their SHA-256, and reads its own cookie back", () => {
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenSha256(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenSha256(token)).not.toContain(token);
    expect(sessionTokenOf(`theme=dark; codepay_console=${token}; other=1`, false)).toBe(token);
    expect(sessionTokenOf(`codepay_console=${token}`, true)).toBeUndefined(); // HTTPS takes only the __Host- cookie
    expect(sessionTokenOf(`__Host-codepay_console=${token}`, true)).toBe(token);
    expect(sessionTokenOf("codepay_console=short", false)).toBeUndefined();
    expect(sessionTokenOf(undefined, false)).toBeUndefined();
  });

  it("cookies are HttpOnly and SameSite=Strict; Secure with the __Host- prefix on HTTPS; cleared with Max-Age=0", () => {
    expect(sessionCookie("t", { https: false, maxAgeS: 60 })).toBe("codepay_console=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
    expect(sessionCookie("t", { https: true, maxAgeS: 60 })).toBe("__Host-codepay_console=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure");
    expect(clearedSessionCookie(false)).toContain("Max-Age=0");
  });

  it("a session lives until its end and while used within the idle time", () => {
    expect(sessionIsLive({ lastSeenAt: 1_000, expiresAt: 10_000 }, 1_500, 1_000)).toBe(true);
    expect(sessionIsLive({ lastSeenAt: 1_000, expiresAt: 10_000 }, 2_000, 1_000)).toBe(false);
    expect(sessionIsLive({ lastSeenAt: 9_900, expiresAt: 10_000 }, 10_000, 1_000)).toBe(false);
  });

  it("CSRF tokens match only exactly; a foreign Origin is refused, none is left to the token", () => {
    expect(csrfMatches("abc", "abc")).toBe(true);
    expect(csrfMatches("abc", "abd")).toBe(false);
    expect(csrfMatches("abc", "ab")).toBe(false);
    expect(csrfMatches("abc", undefined)).toBe(false);
    expect(csrfMatches("abc", ["abc"])).toBe(false);
    expect(originAllowed("http://127.0.0.1:9090", "127.0.0.1:9090")).toBe(true);
    expect(originAllowed("https://evil.example", "127.0.0.1:9090")).toBe(false);
    expect(originAllowed("null", "127.0.0.1:9090")).toBe(false);
    expect(originAllowed(undefined, "127.0.0.1:9090")).toBe(true);
  });

  it("checks a password only for an enabled account that is not locked", () => {
    expect(signInVerdict(undefined, 5)).toEqual({ kind: "no-account" });
    expect(signInVerdict({ disabled: true, lockedUntil: 0 }, 5)).toEqual({ kind: "no-account" });
    expect(signInVerdict({ disabled: false, lockedUntil: 10 }, 5)).toEqual({ kind: "locked", untilMs: 10 });
    expect(signInVerdict({ disabled: false, lockedUntil: 5 }, 5)).toEqual({ kind: "check-password" });
  });
});

describe("console access", () => {
  it("an administrator chooses any store or all; a store operator always gets its own", () => {
    expect(storeScope(admin, undefined)).toBeUndefined();
    expect(storeScope(admin, "")).toBeUndefined();
    expect(storeScope(admin, "store-b")).toBe("store-b");
    expect(storeScope(clerk, "store-b")).toBe("store-a");
    expect(storeScope(clerk, undefined)).toBe("store-a");
    expect(maySeeStore(clerk, "store-b")).toBe(false);
    expect(maySeeStore(admin, "store-b")).toBe(true);
    expect(isAdministrator(clerk)).toBe(false);
    expect(isAdministrator(admin)).toBe(true);
  });
});

describe("console search form", () => {
  const stores = [{ id: "store-a", currency: "JPY" }, { id: "store-e", currency: "EUR" }];

  it("takes UTC dates, the 'to' day inclusive, and amounts in the store's currency", () => {
    const built = buildSearch({ from: "2030-01-01", to: "2030-01-01", min: "12.50", max: "99" }, "store-e", stores, undefined);
    expect(built).toEqual({ ok: true, search: expect.objectContaining({ storeId: "store-e", fromMs: Date.UTC(2030, 0, 1), toMs: Date.UTC(2030, 0, 2), amountMinMinor: 1_250, amountMaxMinor: 9_900 }) });
    expect(buildSearch({ min: "100" }, "store-a", stores, undefined)).toEqual({ ok: true, search: expect.objectContaining({ amountMinMinor: 100 }) });
  });

  it("refuses impossible dates, words for amounts, and amounts without a store", () => {
    expect(utcDayStart("2030-02-30")).toBeUndefined();
    expect(utcDayStart("2030-2-3")).toBeUndefined();
    expect(buildSearch({ from: "yesterday" }, undefined, stores, undefined)).toEqual({ ok: false, problem: "badDate" });
    expect(buildSearch({ min: "lots" }, "store-a", stores, undefined)).toEqual({ ok: false, problem: "badAmount" });
    expect(buildSearch({ max: "5" }, undefined, stores, undefined)).toEqual({ ok: false, problem: "amountNeedsStore" });
  });

  it("ignores an unknown state and reads a next-page key only in its own shape", () => {
    expect(buildSearch({ state: "stolen" }, undefined, stores, undefined)).toEqual({ ok: true, search: { limit: expect.any(Number) } });
    expect(pageKeyOf("1893488400000.pay-1-abcdef12")).toEqual({ createdAt: 1_893_488_400_000, paymentId: "pay-1-abcdef12" });
    expect(pageKeyOf("x.pay-1-abcdef12")).toBeUndefined();
    expect(pageKeyOf("12.no spaces allowed")).toBeUndefined();
    expect(pageKeyOf(".pay-1-abcdef12")).toBeUndefined();
  });
});

describe("console pages", () => {
  it("escape everything they echo", () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe("&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;");
    const html = signInPage("en", { username: `"><script>alert(1)</script>`, problem: "wrong" });
    expect(html).not.toContain("<script>");
    expect(html).toContain('role="alert"');
    const search = paymentsPage({ lang: "ja", title: "支払い", operator: admin, csrf: "c" }, { stores: [{ id: "s", name: "<b>Shop</b>", currency: "JPY" }], fields: { register: `"<i>` }, payments: [] });
    expect(search).not.toContain("<b>Shop</b>");
    expect(search).not.toContain(`"<i>`);
    expect(search).toContain('<html lang="ja">');
    expect(search).toContain("該当する支払いはありません。");
  });
});
