/**
 * The operator console (issue 20) over real HTTP on the operator listener, SQLite and PostgreSQL:
 * sign-in (scrypt, session cookie, lock after wrong passwords), pages behind the session, payments
 * search and timeline, a refund (CSRF token and Origin required, reason required, idempotent by its
 * refund id, audited), roles (a store operator sees only its store) and the ledger check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOperator, resetOperatorPassword } from "../../src/index.js";
import { findPayment } from "../../src/db/repositories/payments.js";
import { listOperatorAudit } from "../../src/db/repositories/operators.js";
import { searchPayments } from "../../src/db/repositories/console-reads.js";
import { withDatabase } from "../../src/admin/admin-commands.js";
import { limits } from "../../src/limits.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { enrollSecondRegister, startTestServer, type TestServer } from "../helpers/test-server.js";
import { RegisterClient } from "../helpers/register-client.js";
import { PhoneClient } from "../helpers/phone-client.js";
import { payWithCode } from "../helpers/pay.js";

afterAll(stopPostgres);

interface Page {
  readonly status: number;
  readonly html: string;
  readonly location: string | null;
  readonly setCookie: string | null;
}

/** A browser's cookie jar of one: the console's session cookie. */
class Browser {
  cookie: string | undefined;
  constructor(private readonly base: string) {}

  async get(path: string): Promise<Page> {
    return this.send(path, { method: "GET" });
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.send(path, { method: "POST", body: new URLSearchParams(form).toString(), headers: { "content-type": "application/x-www-form-urlencoded", origin: this.base, ...headers } });
  }

  private async send(path: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Page> {
    const response = await fetch(`${this.base}${path}`, { ...init, redirect: "manual", headers: { ...(init.headers ?? {}), ...(this.cookie !== undefined ? { cookie: this.cookie } : {}) } });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie !== null) {
      const [pair] = setCookie.split(";");
      this.cookie = pair !== undefined && !pair.endsWith("=") ? pair : undefined;
    }
    return { status: response.status, html: await response.text(), location: response.headers.get("location"), setCookie };
  }

  async signIn(username: string, password: string): Promise<Page> {
    return this.post("/console/sign-in", { username, password });
  }

  /** The session's CSRF token, from the sign-out form every signed-in page carries. */
  async csrf(): Promise<string> {
    const page = await this.get("/console/registers");
    const token = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
    if (token === undefined) throw new Error(`no CSRF token on the page: ${page.status}`);
    return token;
  }
}

const hiddenRefundId = (html: string) => /name="refundId" value="([^"]+)"/.exec(html)?.[1] ?? "";

for (const dialect of dialectsUnderTest()) {
  describe(`operator console (${dialect})`, () => {
    let t: TestServer;
    let register: RegisterClient;
    let phone: PhoneClient;
    let admin: { username: string; password: string };
    let storeOperator: { username: string; password: string };
    let otherStoreOperator: { username: string; password: string };
    let paid: { paymentId: string; reference: string };

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      await enrollSecondRegister(t.dataDir);
      admin = await createOperator({ dataDir: t.dataDir, username: "ada", role: "admin" });
      storeOperator = await createOperator({ dataDir: t.dataDir, username: "sam@demo", role: "store", storeId: t.demo.storeId });
      otherStoreOperator = await createOperator({ dataDir: t.dataDir, username: "oscar", role: "store", storeId: "other-store" });
      register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      phone = new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential);
      paid = await payWithCode(register, phone, 1_200);
    });
    afterAll(async () => {
      register?.client.end(true);
      await t?.stop();
    });

    it("refuses a bad account definition and prints a password of four groups", async () => {
      expect(admin.password).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
      await expect(createOperator({ dataDir: t.dataDir, username: "ada", role: "admin" })).rejects.toThrow(/exists/);
      await expect(createOperator({ dataDir: t.dataDir, username: "x", role: "store" })).rejects.toThrow(/needs --store/);
      await expect(createOperator({ dataDir: t.dataDir, username: "y", role: "root" })).rejects.toThrow(/admin or store/);
      await expect(createOperator({ dataDir: t.dataDir, username: "z", role: "store", storeId: "no-such-store" })).rejects.toThrow(/no store/);
    });

    it("sends a visitor without a session to the sign-in page", async () => {
      const visitor = new Browser(t.server.operatorUrl);
      for (const path of ["/console/registers", "/console/payments", `/console/payments/${paid.paymentId}`, "/console/ledger"]) {
        const page = await visitor.get(path);
        expect(page.status, path).toBe(303);
        expect(page.location).toBe("/console/sign-in");
      }
      const signIn = await visitor.get("/console/sign-in");
      expect(signIn.status).toBe(200);
      expect(signIn.html).toContain('autocomplete="current-password"');
      expect(signIn.html).toContain('<html lang="en">');
      expect((await visitor.get("/console/sign-in?lang=ja")).html).toContain("サインイン");
    });

    it("signs in with the printed password: an HttpOnly SameSite=Strict cookie; a wrong password or username says the same words", async () => {
      const browser = new Browser(t.server.operatorUrl);
      const wrong = await browser.signIn(admin.username, "not-the-password");
      expect(wrong.status).toBe(401);
      expect(wrong.html).toContain("Wrong username or password.");
      const unknown = await browser.signIn("nobody", "whatever");
      expect(unknown.status).toBe(401);
      expect(unknown.html).toContain("Wrong username or password.");
      const signed = await browser.signIn(admin.username, admin.password);
      expect(signed.status).toBe(303);
      expect(signed.location).toBe("/console/registers");
      expect(signed.setCookie).toMatch(/^codepay_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
      const registers = await browser.get("/console/registers");
      expect(registers.status).toBe(200);
      expect(registers.html).toContain(`data-register="${t.demo.registerId}"`);
      expect(registers.html).toContain('<meta http-equiv="refresh"');
      expect(registers.html).toContain("other-reg"); // an administrator sees every store
    });

    it("locks an account after five wrong passwords, even for the right one, until a new password is made", async () => {
      const browser = new Browser(t.server.operatorUrl);
      const victim = await createOperator({ dataDir: t.dataDir, username: "lockme", role: "admin" });
      for (let attempt = 0; attempt < limits.consoleSignInFailuresMax; attempt += 1) expect((await browser.signIn("lockme", `wrong-${attempt}`)).status).toBe(401);
      const locked = await browser.signIn("lockme", victim.password);
      expect(locked.status).toBe(429);
      expect(locked.html).toContain("Too many wrong passwords");
      const renewed = await resetOperatorPassword({ dataDir: t.dataDir, username: "lockme" });
      expect((await browser.signIn("lockme", renewed.password)).status).toBe(303);
    });

    it("finds the payment by register and state, shows its timeline, and pages newest first", async () => {
      const browser = new Browser(t.server.operatorUrl);
      await browser.signIn(admin.username, admin.password);
      const found = await browser.get(`/console/payments?store=${t.demo.storeId}&register=${t.demo.registerId}&state=approved&min=1000&max=1200`);
      expect(found.status).toBe(200);
      expect(found.html).toContain(`/console/payments/${paid.paymentId}`);
      expect(found.html).toContain(">JPY 1200<");
      const none = await browser.get(`/console/payments?store=${t.demo.storeId}&state=declined`);
      expect(none.html).toContain("No payments match.");
      const badAmount = await browser.get(`/console/payments?store=${t.demo.storeId}&min=lots`);
      expect(badAmount.status).toBe(400);
      expect(badAmount.html).toContain("Write the amount as a number");
      expect((await browser.get("/console/payments?min=5")).html).toContain("Choose a store to search by amount.");
      expect((await browser.get("/console/payments?from=2030-02-30")).html).toContain("Write dates as YYYY-MM-DD.");

      const detail = await browser.get(`/console/payments/${paid.paymentId}`);
      expect(detail.status).toBe(200);
      for (const event of ["Created at the register", "Claimed by the shopper&#39;s phone", "Approved: money moved", "Result queued for the register", "Result sent to the register"]) expect(detail.html).toContain(event);
      expect(detail.html).toContain(paid.reference);

      // Three more payments: a page of two shows the newest two and links to the rest.
      for (let n = 0; n < 3; n += 1) {
        t.advance(1_000);
        await payWithCode(register, phone, 100 + n);
      }
      const rows = limits.consolePageRows;
      expect(rows).toBeGreaterThan(4);
      const all = await browser.get(`/console/payments?store=${t.demo.storeId}`);
      expect((all.html.match(/<tr><th scope="row">/g) ?? []).length).toBe(4);
      expect(all.html.indexOf(">JPY 102<")).toBeGreaterThan(0);
      // Keyset pages: two rows, then the next two from the key of the last, nothing repeated or skipped.
      const first = await withDatabase(t.dataDir, (db) => searchPayments(db, { storeId: t.demo.storeId, limit: 2 }));
      expect(first.payments.map((p) => p.amountMinor)).toEqual([102, 101]);
      const second = await withDatabase(t.dataDir, (db) => searchPayments(db, { storeId: t.demo.storeId, limit: 2, ...(first.next !== undefined ? { before: first.next } : {}) }));
      expect(second.payments.map((p) => p.amountMinor)).toEqual([100, 1_200]);
      expect(second.next).toBeUndefined();
      expect(all.html.indexOf(">JPY 102<")).toBeLessThan(all.html.indexOf(">JPY 100<"));
    });

    it("refunds from the console: CSRF token and reason required, the same form twice refunds once, over the amount is refused in words", async () => {
      const browser = new Browser(t.server.operatorUrl);
      await browser.signIn(storeOperator.username, storeOperator.password);
      const form = await browser.get(`/console/payments/${paid.paymentId}`);
      const refundId = hiddenRefundId(form.html);
      expect(refundId).not.toBe("");
      const csrf = await browser.csrf();
      const path = `/console/payments/${paid.paymentId}/refund`;

      const noToken = await browser.post(path, { refundId, amount: "200", reason: "damaged" });
      expect(noToken.status).toBe(403);
      const otherOrigin = await browser.post(path, { csrf, refundId, amount: "200", reason: "damaged" }, { origin: "https://evil.example" });
      expect(otherOrigin.status).toBe(403);
      const noReason = await browser.post(path, { csrf, refundId, amount: "200", reason: "  " });
      expect(noReason.status).toBe(400);
      expect(noReason.html).toContain("Say why the money goes back.");
      expect((await withDatabase(t.dataDir, (db) => findPayment(db, paid.paymentId)))?.reversedMinor).toBe(0);

      const done = await browser.post(path, { csrf, refundId, amount: "200", reason: "damaged box" });
      expect(done.status).toBe(303);
      expect(done.location).toBe(`/console/payments/${paid.paymentId}?done=refund`);
      const again = await browser.post(path, { csrf, refundId, amount: "200", reason: "damaged box" });
      expect(again.status).toBe(303);
      expect((await withDatabase(t.dataDir, (db) => findPayment(db, paid.paymentId)))?.reversedMinor).toBe(200);

      const mismatch = await browser.post(path, { csrf, refundId, amount: "300", reason: "damaged box" });
      expect(mismatch.status).toBe(409);
      expect(mismatch.html).toContain("<small>IDEMPOTENCY_MISMATCH</small>");
      const after = await browser.get(done.location ?? "");
      expect(after.html).toContain("The refund was made.");
      expect(after.html).toMatch(/Refunded · JPY 200/);
      const tooMuch = await browser.post(path, { csrf, refundId: hiddenRefundId(after.html), amount: "1100", reason: "everything" });
      expect(tooMuch.status).toBe(409);
      expect(tooMuch.html).toContain("<small>REFUND_EXCEEDS_ORIGINAL</small>");

      const audit = await withDatabase(t.dataDir, (db) => listOperatorAudit(db, 20));
      const refunds = audit.filter((entry) => entry.action === "refund");
      expect(refunds).toHaveLength(1);
      expect(refunds[0]).toMatchObject({ username: storeOperator.username, target: paid.paymentId, detail: { refundId, amountMinor: 200, reason: "damaged box" }, at: t.now() });
    });

    it("shows a register's running X figures and, once the register closes its period, the Z report", async () => {
      const browser = new Browser(t.server.operatorUrl);
      await browser.signIn(storeOperator.username, storeOperator.password);
      const open = await browser.get(`/console/registers/${t.demo.registerId}`);
      expect(open.status).toBe(200);
      // Four code payments (1200 + 100 + 101 + 102) and the console's refund of 200, in period 1.
      expect(open.html).toContain('data-period="1" data-kind="x"');
      expect(open.html).toMatch(/4 · JPY 1503<\/td>[\s\S]*1 · JPY 200<\/td><td class="money">JPY 1303</);
      const z = await register.request({ type: "report.request", kind: "z" });
      expect(z.type).toBe("report");
      const closed = await browser.get(`/console/registers/${t.demo.registerId}`);
      expect(closed.html).toContain('data-period="1" data-kind="z"');
      expect(closed.html).toContain("JPY 1303");
      expect((await browser.get("/console/registers/other-reg")).status).toBe(404); // another store's register
      expect((await browser.get("/console/registers/no-such-register")).html).toContain("No such register.");
    });

    it("shows a store operator only its store: another store's payment is not found, and its search stays in its store", async () => {
      const browser = new Browser(t.server.operatorUrl);
      await browser.signIn(otherStoreOperator.username, otherStoreOperator.password);
      expect((await browser.get(`/console/payments/${paid.paymentId}`)).status).toBe(404);
      const search = await browser.get(`/console/payments?store=${t.demo.storeId}`);
      expect(search.html).not.toContain(paid.paymentId);
      expect(search.html).not.toContain('id="store"'); // no store choice for a store operator
      const registers = await browser.get("/console/registers");
      expect(registers.html).toContain("other-reg");
      expect(registers.html).not.toContain(`data-register="${t.demo.registerId}"`);
      const csrf = await browser.csrf();
      const refund = await browser.post(`/console/payments/${paid.paymentId}/refund`, { csrf, refundId: "refund-from-elsewhere", amount: "1", reason: "try" });
      expect(refund.status).toBe(404);
      expect((await withDatabase(t.dataDir, (db) => findPayment(db, paid.paymentId)))?.reversedMinor).toBe(200);
      expect((await browser.get("/console/ledger")).status).toBe(403);
      expect((await browser.get("/console/audit")).status).toBe(403);
    });

    it("shows an administrator the ledger check, and signing out ends the session", async () => {
      const browser = new Browser(t.server.operatorUrl);
      await browser.signIn(admin.username, admin.password);
      const ledger = await browser.get("/console/ledger");
      expect(ledger.status).toBe(200);
      expect(ledger.html).toContain("The ledger checks out");
      const auditPage = await browser.get("/console/audit");
      expect(auditPage.status).toBe(200);
      expect(auditPage.html).toMatch(new RegExp(`<th scope="row">${storeOperator.username}</th><td>refund</td>\\s*<td><a href="/console/payments/${paid.paymentId}">`));
      expect(auditPage.html).toContain("JPY 200 · damaged box");
      const cookie = browser.cookie;
      const out = await browser.post("/console/sign-out", { csrf: await browser.csrf() });
      expect(out.status).toBe(303);
      browser.cookie = cookie; // a copy of the old cookie is worth nothing now
      expect((await browser.get("/console/registers")).status).toBe(303);
      const audit = await withDatabase(t.dataDir, (db) => listOperatorAudit(db, 50));
      expect(audit.some((entry) => entry.action === "sign-out" && entry.username === admin.username)).toBe(true);
    });

    it("ends an idle session", async () => {
      const browser = new Browser(t.server.operatorUrl);
      await browser.signIn(admin.username, admin.password);
      expect((await browser.get("/console/registers")).status).toBe(200);
      t.advance(limits.consoleSessionIdleMs);
      expect((await browser.get("/console/registers")).status).toBe(303);
    });
  });
}
