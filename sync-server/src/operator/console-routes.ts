/**
 * The operator console's routes (issue 20) on the operator listener, never on the phones' gateway or
 * the shopper API: sign-in with an account made by `admin operator create`, then registers with their
 * health, payments search, a payment's timeline, refunds (idempotent by a refund id made when the form
 * was shown, reason required, audited) and, for administrators, the ledger check.
 *
 * Sessions are rows (db/repositories/operators.ts) named by an HttpOnly SameSite=Strict cookie
 * (console-session.ts); every POST but the sign-in carries the session's CSRF token and, from a
 * browser, an Origin of this listener. Sign-in is throttled per account (locked after
 * limits.consoleSignInFailuresMax wrong passwords, on the row: every instance agrees) and per client
 * address. What an operator may see is console-access.ts's call.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { OperatorApp } from "./operator-app.js";
import { ClientIdSchema, ID_SLUG_PATTERN, parseMajorAmount, isCurrencyCode, PAYMENT_STATES, type ErrorCode, type PaymentState } from "@codepay/contract";
import { inTransaction, type Db } from "../db/database.js";
import {
  appendOperatorAudit,
  clearSignInFailures,
  deleteEndedSessions,
  deleteSession,
  findOperatorByUsername,
  findSession,
  insertSession,
  listOperatorAudit,
  recordSignInFailure,
  touchSession,
  type OperatorIdentity,
  type SessionRow,
} from "../db/repositories/operators.js";
import { listRegisterHealth } from "../db/repositories/register-presence.js";
import { listStoreChoices, paymentDetail, searchPayments, type PageKey, type PaymentSearch } from "../db/repositories/console-reads.js";
import { findPayment } from "../db/repositories/payments.js";
import { hashPassword, verifyPassword } from "../auth/password-hash.js";
import { RateLimiter } from "../http-security/rate-limiter.js";
import { newId } from "../ids.js";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import type { VerifyReport } from "../ledger/verify.js";
import { reversePayment } from "../settlement/reversals.js";
import { registerPeriodFigures } from "../settlement/reports.js";
import { findRegister } from "../db/repositories/registers.js";
import { pickPageLanguage, type PageLanguage } from "../shopper-page/page-language.js";
import { isAdministrator, maySeeStore, storeScope } from "./console-access.js";
import {
  auditPage,
  CONSOLE_PREFIX,
  CONSOLE_STYLESHEET,
  CONSOLE_STYLESHEET_PATH,
  consoleWords,
  errorNote,
  ledgerPage,
  messagePage,
  paymentPage,
  paymentsPage,
  registerFiguresPage,
  registersPage,
  signInPage,
  type LayoutOptions,
  type RefundForm,
  type SearchFields,
} from "./console-pages.js";
import { clearedSessionCookie, csrfMatches, newToken, originAllowed, sessionCookie, sessionIsLive, sessionTokenOf, signInVerdict, tokenSha256 } from "./console-session.js";

export interface ConsoleDeps {
  readonly db: Db;
  readonly clock: () => number;
  readonly logger: Logger;
  /** The listener is HTTPS: the cookie is Secure and __Host- prefixed. */
  readonly https: boolean;
  /** `admin verify` for the ledger page, on a connection that never holds up payments. */
  readonly verifyLedger: () => Promise<VerifyReport>;
  /** Per client address, failed sign-ins (default: 10 at once, then 10 a minute). */
  readonly signInLimit?: { readonly burst: number; readonly perMinute: number };
}

/** Pages may load this listener's stylesheet and post forms to it; nothing else. */
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const FORM_BYTES_MAX = 8 * 1024;
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
const PASSWORD_CHARS_MAX = 200;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const ADDRESSES_TRACKED_MAX = 10_000;
/** Periods on a register's figures page: the open one and the last Z reports. */
const PERIODS_SHOWN = 10;
/** The newest operator actions on the audit page. */
const AUDIT_ROWS_SHOWN = 200;

type Form = Readonly<Record<string, string>>;

interface Signed {
  readonly session: SessionRow;
  readonly operator: OperatorIdentity;
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("content-security-policy", PAGE_CSP)
    // same-origin, not no-referrer: the browser then sends this page's Origin with its forms, which the console checks.
    .header("referrer-policy", "same-origin")
    .header("cache-control", "no-store")
    .send(html);
}

function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header("location", location).header("cache-control", "no-store").send();
}

function field(form: unknown, name: string): string | undefined {
  if (typeof form !== "object" || form === null) return undefined;
  const value = (form as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

function queryField(request: FastifyRequest, name: string): string | undefined {
  const value = field(request.query, name)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

const SEARCH_FIELDS = ["store", "register", "state", "from", "to", "min", "max"] as const satisfies readonly (keyof SearchFields)[];

/** The payments search as the query string gave it: each field trimmed, empty ones left out. */
function searchFieldsOf(request: FastifyRequest): SearchFields {
  const fields: { -readonly [K in keyof SearchFields]?: string } = {};
  for (const name of SEARCH_FIELDS) {
    const value = queryField(request, name);
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

/** "YYYY-MM-DD" as UTC midnight, or undefined for anything else (including impossible dates). */
export function utcDayStart(text: string): number | undefined {
  if (!DATE_PATTERN.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
}

/** A page key as the next-page link carries it: "<createdAt>.<paymentId>". */
export function pageKeyOf(text: string | undefined): PageKey | undefined {
  if (text === undefined) return undefined;
  const dot = text.indexOf(".");
  const createdAt = Number(text.slice(0, dot));
  const paymentId = text.slice(dot + 1);
  if (dot < 1 || !Number.isSafeInteger(createdAt) || !ClientIdSchema.safeParse(paymentId).success) return undefined;
  return { createdAt, paymentId };
}

export function registerConsoleRoutes(app: OperatorApp, deps: ConsoleDeps): void {
  // Failed sign-ins per client address (successful ones cost nothing): past the burst, the address waits.
  const signInByAddress = new RateLimiter(deps.signInLimit ?? { burst: 10, perMinute: 10 }, ADDRESSES_TRACKED_MAX);
  const addressBlockedUntil = new Map<string, number>();
  // Compared against when the account does not exist, so a wrong username costs the same time as a wrong password.
  // Made at the first sign-in for an unknown account, not at start-up (a scrypt every server start would pay for nothing).
  let decoyHash: Promise<string> | undefined;

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: FORM_BYTES_MAX }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const languageOf = (request: FastifyRequest): PageLanguage => pickPageLanguage(field(request.query, "lang"), request.headers["accept-language"]);

  /** The signed-in operator, or undefined after redirecting to the sign-in page. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Signed | undefined> {
    const token = sessionTokenOf(request.headers.cookie, deps.https);
    const now = deps.clock();
    const session = token === undefined ? undefined : await findSession(deps.db, tokenSha256(token));
    if (session === undefined || !sessionIsLive(session, now, limits.consoleSessionIdleMs)) {
      if (session !== undefined) await deleteSession(deps.db, session.tokenSha256);
      redirect(reply.header("set-cookie", clearedSessionCookie(deps.https)), `${CONSOLE_PREFIX}/sign-in`);
      return undefined;
    }
    // One write a minute at most per session, not one per page.
    if (now - session.lastSeenAt >= 60_000) await touchSession(deps.db, session.tokenSha256, now);
    return { session, operator: session };
  }

  /** A change: signed in, from this origin, with the session's CSRF token. */
  async function signedChange(request: FastifyRequest, reply: FastifyReply): Promise<Signed | undefined> {
    const signed = await signedIn(request, reply);
    if (signed === undefined) return undefined;
    if (!originAllowed(request.headers.origin, request.headers.host) || !csrfMatches(signed.session.csrfToken, field(request.body, "csrf"))) {
      request.log.warn({ operator: signed.operator.username, url: request.url }, "console change refused: wrong origin or CSRF token");
      sendPage(reply, 403, messagePage(layoutFor(request, signed, consoleWords(languageOf(request)).title), consoleWords(languageOf(request)).forbidden));
      return undefined;
    }
    return signed;
  }

  /** The layout of an administrators-only page, or undefined once the sign-in redirect or the 403 page is sent. */
  async function administratorPage(request: FastifyRequest, reply: FastifyReply, page: "ledger" | "audit"): Promise<LayoutOptions | undefined> {
    const signed = await signedIn(request, reply);
    if (signed === undefined) return undefined;
    const words = consoleWords(languageOf(request));
    const layout = layoutFor(request, signed, words[page], page);
    if (isAdministrator(signed.operator)) return layout;
    sendPage(reply, 403, messagePage(layout, words.adminsOnly));
    return undefined;
  }

  function layoutFor(request: FastifyRequest, signed: Signed, title: string, current?: LayoutOptions["current"]): LayoutOptions {
    return { lang: languageOf(request), title, operator: signed.operator, csrf: signed.session.csrfToken, ...(current !== undefined ? { current } : {}) };
  }

  app.get(CONSOLE_STYLESHEET_PATH, async (_request, reply) => reply.header("content-type", "text/css; charset=utf-8").header("cache-control", "no-cache").send(CONSOLE_STYLESHEET));
  app.get(CONSOLE_PREFIX, async (_request, reply) => redirect(reply, `${CONSOLE_PREFIX}/registers`));
  app.get(`${CONSOLE_PREFIX}/`, async (_request, reply) => redirect(reply, `${CONSOLE_PREFIX}/registers`));

  app.get(`${CONSOLE_PREFIX}/sign-in`, async (request, reply) => sendPage(reply, 200, signInPage(languageOf(request), {})));

  app.post(`${CONSOLE_PREFIX}/sign-in`, async (request, reply) => {
    const lang = languageOf(request);
    const username = (field(request.body, "username") ?? "").trim();
    const password = field(request.body, "password") ?? "";
    const now = deps.clock();
    if (!originAllowed(request.headers.origin, request.headers.host)) return sendPage(reply, 403, signInPage(lang, { username, problem: "forbidden" }));
    const blockedUntil = addressBlockedUntil.get(request.ip) ?? 0;
    if (blockedUntil > now) {
      request.log.warn({ address: request.ip }, "console sign-in throttled for this address");
      return sendPage(reply.header("retry-after", String(Math.ceil((blockedUntil - now) / 1000))), 429, signInPage(lang, { username, problem: "locked" }));
    }
    /** A failed attempt takes a token of the address's bucket; an empty bucket blocks the address until the next token. */
    const failedFromAddress = (): void => {
      const verdict = signInByAddress.take(request.ip, now);
      if (verdict.allowed) return;
      addressBlockedUntil.delete(request.ip);
      addressBlockedUntil.set(request.ip, now + verdict.retryAfterMs);
      if (addressBlockedUntil.size > ADDRESSES_TRACKED_MAX) addressBlockedUntil.delete(addressBlockedUntil.keys().next().value as string);
    };
    const wellFormed = USERNAME_PATTERN.test(username) && password.length > 0 && password.length <= PASSWORD_CHARS_MAX;
    const operator = wellFormed ? await findOperatorByUsername(deps.db, username) : undefined;
    const verdict = signInVerdict(operator, now);
    if (verdict.kind === "locked") {
      request.log.warn({ operator: username }, "console sign-in refused: account locked after wrong passwords");
      return sendPage(reply, 429, signInPage(lang, { username, problem: "locked" }));
    }
    if (verdict.kind === "no-account" || operator === undefined) {
      await verifyPassword(password.slice(0, PASSWORD_CHARS_MAX), await (decoyHash ??= hashPassword(newToken())));
      failedFromAddress();
      request.log.warn({ operator: username.slice(0, 64) }, "console sign-in refused: no such account");
      return sendPage(reply, 401, signInPage(lang, { username, problem: "wrong" }));
    }
    if (!(await verifyPassword(password, operator.passwordHash))) {
      await recordSignInFailure(deps.db, operator.id, limits.consoleSignInFailuresMax, now + limits.consoleSignInLockMs);
      failedFromAddress();
      request.log.warn({ operator: username }, "console sign-in refused: wrong password");
      return sendPage(reply, 401, signInPage(lang, { username, problem: "wrong" }));
    }
    const token = newToken();
    await inTransaction(deps.db, async (tx) => {
      await clearSignInFailures(tx, operator.id);
      await deleteEndedSessions(tx, now, limits.consoleSessionIdleMs);
      await insertSession(tx, { tokenSha256: tokenSha256(token), operatorId: operator.id, csrfToken: newToken(), now, expiresAt: now + limits.consoleSessionMaxMs });
      await appendOperatorAudit(tx, { id: newId(now), operatorId: operator.id, action: "sign-in", target: null, detail: { address: request.ip }, at: now });
    });
    request.log.info({ operator: username, role: operator.role }, "operator signed in");
    return redirect(reply.header("set-cookie", sessionCookie(token, { https: deps.https, maxAgeS: limits.consoleSessionMaxMs / 1000 })), `${CONSOLE_PREFIX}/registers`);
  });

  app.post(`${CONSOLE_PREFIX}/sign-out`, async (request, reply) => {
    const signed = await signedChange(request, reply);
    if (signed === undefined) return reply;
    const now = deps.clock();
    await inTransaction(deps.db, async (tx) => {
      await deleteSession(tx, signed.session.tokenSha256);
      await appendOperatorAudit(tx, { id: newId(now), operatorId: signed.operator.operatorId, action: "sign-out", target: null, detail: {}, at: now });
    });
    return redirect(reply.header("set-cookie", clearedSessionCookie(deps.https)), `${CONSOLE_PREFIX}/sign-in`);
  });

  app.get(`${CONSOLE_PREFIX}/registers`, async (request, reply) => {
    const signed = await signedIn(request, reply);
    if (signed === undefined) return reply;
    const rows = await listRegisterHealth(deps.db, storeScope(signed.operator, queryField(request, "store")));
    const words = consoleWords(languageOf(request));
    return sendPage(reply, 200, registersPage({ ...layoutFor(request, signed, words.registers, "registers"), refreshS: limits.consoleRefreshS }, rows));
  });

  app.get<{ Params: { registerId: string } }>(`${CONSOLE_PREFIX}/registers/:registerId`, async (request, reply) => {
    const signed = await signedIn(request, reply);
    if (signed === undefined) return reply;
    const words = consoleWords(languageOf(request));
    const register = ID_SLUG_PATTERN.test(request.params.registerId) ? await findRegister(deps.db, request.params.registerId) : undefined;
    if (register === undefined || !maySeeStore(signed.operator, register.storeId)) return sendPage(reply, 404, messagePage(layoutFor(request, signed, words.registers, "registers"), words.registerNotFound));
    const figures = await registerPeriodFigures(deps.db, register.id, PERIODS_SHOWN);
    return sendPage(reply, 200, registerFiguresPage(layoutFor(request, signed, `${register.name} (${register.id}) · ${words.figures}`, "registers"), figures));
  });

  app.get(`${CONSOLE_PREFIX}/payments`, async (request, reply) => {
    const signed = await signedIn(request, reply);
    if (signed === undefined) return reply;
    const words = consoleWords(languageOf(request));
    const fields = searchFieldsOf(request);
    const storeId = storeScope(signed.operator, fields.store);
    const stores = await listStoreChoices(deps.db, signed.operator.role === "store" ? storeId : undefined);
    const layout = layoutFor(request, signed, words.payments, "payments");
    const built = buildSearch(fields, storeId, stores, pageKeyOf(queryField(request, "before")));
    if (!built.ok) return sendPage(reply, 400, paymentsPage(layout, { stores, fields, payments: [], problem: words[built.problem] }));
    const page = await searchPayments(deps.db, built.search);
    let nextHref: string | undefined;
    if (page.next !== undefined) {
      const query = new URLSearchParams(Object.entries(fields) as [string, string][]);
      query.set("before", `${page.next.createdAt}.${page.next.paymentId}`);
      nextHref = `${CONSOLE_PREFIX}/payments?${query.toString()}`;
    }
    return sendPage(reply, 200, paymentsPage(layout, { stores, fields, payments: page.payments, ...(nextHref !== undefined ? { nextHref } : {}) }));
  });

  async function showPayment(request: FastifyRequest, reply: FastifyReply, signed: Signed, paymentId: string, view: { status?: number; notice?: string; problem?: string; refund?: Partial<RefundForm> }): Promise<FastifyReply> {
    const words = consoleWords(languageOf(request));
    const detail = ClientIdSchema.safeParse(paymentId).success ? await paymentDetail(deps.db, paymentId) : undefined;
    if (detail === undefined || !maySeeStore(signed.operator, detail.payment.storeId)) return sendPage(reply, 404, messagePage(layoutFor(request, signed, words.payment, "payments"), words.notFound));
    const refundable = detail.payment.state === "approved" && detail.payment.reversedMinor < detail.payment.amountMinor;
    const refund: RefundForm | undefined = refundable ? { refundId: view.refund?.refundId ?? newId(), ...(view.refund?.amount !== undefined ? { amount: view.refund.amount } : {}), ...(view.refund?.reason !== undefined ? { reason: view.refund.reason } : {}) } : undefined;
    const title = `${words.payment} ${detail.payment.registerPaymentId}`;
    return sendPage(reply, view.status ?? 200, paymentPage(layoutFor(request, signed, title, "payments"), detail, { ...(refund !== undefined ? { refund } : {}), ...(view.notice !== undefined ? { notice: view.notice } : {}), ...(view.problem !== undefined ? { problem: view.problem } : {}) }));
  }

  app.get<{ Params: { paymentId: string } }>(`${CONSOLE_PREFIX}/payments/:paymentId`, async (request, reply) => {
    const signed = await signedIn(request, reply);
    if (signed === undefined) return reply;
    const words = consoleWords(languageOf(request));
    return showPayment(request, reply, signed, request.params.paymentId, queryField(request, "done") === "refund" ? { notice: words.refundDone } : {});
  });

  app.post<{ Params: { paymentId: string } }>(`${CONSOLE_PREFIX}/payments/:paymentId/refund`, async (request, reply) => {
    const signed = await signedChange(request, reply);
    if (signed === undefined) return reply;
    const lang = languageOf(request);
    const words = consoleWords(lang);
    const paymentId = request.params.paymentId;
    const refundId = field(request.body, "refundId") ?? "";
    const amountText = (field(request.body, "amount") ?? "").trim();
    const reason = (field(request.body, "reason") ?? "").trim();
    const typed = { refundId: ClientIdSchema.safeParse(refundId).success ? refundId : newId(), amount: amountText, reason };
    if (!ClientIdSchema.safeParse(paymentId).success || !ClientIdSchema.safeParse(refundId).success) return showPayment(request, reply, signed, paymentId, { status: 400, problem: errorNote(lang, "BAD_REQUEST"), refund: typed });
    if (reason === "" || reason.length > limits.consoleReasonCharsMax) return showPayment(request, reply, signed, paymentId, { status: 400, problem: `<p class="error" role="alert">${words.reasonNeeded}</p>`, refund: typed });
    const now = deps.clock();
    const outcome = await inTransaction(deps.db, async (tx): Promise<{ kind: "missing" } | { kind: "refused"; code: ErrorCode } | { kind: "done"; replayed: boolean; amountMinor: number }> => {
      const payment = await findPayment(tx, paymentId);
      if (payment === undefined || !maySeeStore(signed.operator, payment.storeId)) return { kind: "missing" };
      const amountMinor = isCurrencyCode(payment.currency) ? parseMajorAmount(amountText, payment.currency) : undefined;
      if (amountMinor === undefined || amountMinor <= 0) return { kind: "refused", code: "BAD_REQUEST" };
      const reversed = await reversePayment(tx, payment, { kind: "refund", refundId, amountMinor, now });
      if (!reversed.ok) return { kind: "refused", code: reversed.code };
      if (!reversed.replayed) {
        await appendOperatorAudit(tx, { id: newId(now), operatorId: signed.operator.operatorId, action: "refund", target: paymentId, detail: { refundId, amountMinor, currency: payment.currency, reason, transferId: reversed.reversal.transferId }, at: now });
      }
      return { kind: "done", replayed: reversed.replayed, amountMinor };
    });
    if (outcome.kind === "missing") return showPayment(request, reply, signed, paymentId, {});
    if (outcome.kind === "refused") {
      request.log.info({ operator: signed.operator.username, paymentId, code: outcome.code }, "console refund refused");
      const problem = outcome.code === "BAD_REQUEST" ? `<p class="error" role="alert">${words.badAmount}</p>` : errorNote(lang, outcome.code);
      return showPayment(request, reply, signed, paymentId, { status: 409, problem, refund: typed });
    }
    request.log.info({ operator: signed.operator.username, paymentId, refundId, amountMinor: outcome.amountMinor, replayed: outcome.replayed }, "console refund");
    return redirect(reply, `${CONSOLE_PREFIX}/payments/${encodeURIComponent(paymentId)}?done=refund${lang === "ja" ? "&lang=ja" : ""}`);
  });

  app.get(`${CONSOLE_PREFIX}/audit`, async (request, reply) => {
    const admin = await administratorPage(request, reply, "audit");
    if (admin === undefined) return reply;
    return sendPage(reply, 200, auditPage(admin, await listOperatorAudit(deps.db, AUDIT_ROWS_SHOWN)));
  });

  app.get(`${CONSOLE_PREFIX}/ledger`, async (request, reply) => {
    const admin = await administratorPage(request, reply, "ledger");
    if (admin === undefined) return reply;
    const report = await deps.verifyLedger();
    const lines = report.violations.map((violation) => `${violation.code}: ${violation.message}`);
    return sendPage(reply, 200, ledgerPage(admin, { ok: report.ok, lines }));
  });
}

type Built = { readonly ok: true; readonly search: PaymentSearch } | { readonly ok: false; readonly problem: "badDate" | "badAmount" | "amountNeedsStore" };

/** The search the form asks for, within the store the operator may see; pure. */
export function buildSearch(fields: SearchFields, storeId: string | undefined, stores: readonly { id: string; currency: string }[], before: PageKey | undefined): Built {
  const fromMs = fields.from === undefined ? undefined : utcDayStart(fields.from);
  const toStart = fields.to === undefined ? undefined : utcDayStart(fields.to);
  if ((fields.from !== undefined && fromMs === undefined) || (fields.to !== undefined && toStart === undefined)) return { ok: false, problem: "badDate" };
  let amountMinMinor: number | undefined;
  let amountMaxMinor: number | undefined;
  if (fields.min !== undefined || fields.max !== undefined) {
    const currency = stores.find((store) => store.id === storeId)?.currency;
    if (storeId === undefined || currency === undefined || !isCurrencyCode(currency)) return { ok: false, problem: "amountNeedsStore" };
    amountMinMinor = fields.min === undefined ? undefined : parseMajorAmount(fields.min, currency);
    amountMaxMinor = fields.max === undefined ? undefined : parseMajorAmount(fields.max, currency);
    if ((fields.min !== undefined && amountMinMinor === undefined) || (fields.max !== undefined && amountMaxMinor === undefined)) return { ok: false, problem: "badAmount" };
  }
  const state = PAYMENT_STATES.find((candidate) => candidate === fields.state) as PaymentState | undefined;
  return {
    ok: true,
    search: {
      limit: limits.consolePageRows,
      ...(storeId !== undefined ? { storeId } : {}),
      ...(fields.register !== undefined ? { registerId: fields.register } : {}),
      ...(state !== undefined ? { state } : {}),
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toStart !== undefined ? { toMs: toStart + DAY_MS } : {}),
      ...(amountMinMinor !== undefined ? { amountMinMinor } : {}),
      ...(amountMaxMinor !== undefined ? { amountMaxMinor } : {}),
      ...(before !== undefined ? { before } : {}),
    },
  };
}
