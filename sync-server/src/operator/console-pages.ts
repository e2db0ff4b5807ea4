/**
 * The operator console's pages: plain HTML rendered on the server, one stylesheet, no script (the
 * registers page reloads itself), so they work with a keyboard and a screen reader and under a
 * Content-Security-Policy that allows nothing else. Pure: data in, a string out; every value from
 * the database or the request is escaped. English and Japanese; an error shows short words and its
 * code in small print for support.
 */
import { ERROR_WORDS, formatMoney, isCurrencyCode, PAYMENT_STATES, type ErrorCode } from "@codepay/contract";
import type { PageLanguage } from "../shopper-page/page-language.js";
import type { OperatorIdentity } from "../db/repositories/operators.js";
import type { RegisterHealthRow } from "../db/repositories/register-presence.js";
import type { PaymentDetail, StoreChoice, TimelineEvent } from "../db/repositories/console-reads.js";
import type { PaymentRow } from "../db/repositories/payments.js";
import type { PeriodFigures } from "../settlement/reports.js";

export const CONSOLE_PREFIX = "/console";
export const CONSOLE_STYLESHEET_PATH = `${CONSOLE_PREFIX}/console.css`;

const WORDS = {
  en: {
    title: "Code Pay operator console",
    signIn: "Sign in",
    signOut: "Sign out",
    username: "Username",
    password: "Password",
    wrongCredentials: "Wrong username or password.",
    locked: "Too many wrong passwords. Try again later.",
    signedInAs: "Signed in as",
    admin: "administrator",
    storeOperator: "store operator",
    registers: "Registers",
    payments: "Payments",
    ledger: "Ledger check",
    store: "Store",
    allStores: "All stores",
    register: "Register",
    state: "State",
    anyState: "Any state",
    from: "From (UTC date)",
    to: "To (UTC date, inclusive)",
    amountMin: "Amount at least",
    amountMax: "Amount at most",
    search: "Search",
    created: "Created",
    amount: "Amount",
    refunded: "Refunded",
    payment: "Payment",
    nextPage: "Older payments",
    noPayments: "No payments match.",
    presence: "Line",
    lastSeen: "Last heard",
    version: "Agent version",
    devices: "Devices",
    online: "online",
    offline: "offline",
    unknown: "never heard",
    disabled: "disabled",
    liveNote: "This page refreshes every few seconds.",
    lastReported: "last reported:",
    timeline: "Timeline",
    refund: "Refund",
    refundAmount: "Amount to refund",
    reason: "Reason (required)",
    refundDone: "The refund was made.",
    code: "Code",
    reference: "Reference",
    phone: "Phone",
    period: "Register period",
    events: {
      created: "Created at the register",
      claimed: "Claimed by the shopper's phone",
      approved: "Approved: money moved",
      ended: "Ended",
      "result-queued": "Result queued for the register",
      "result-sent": "Result sent to the register",
      "result-acknowledged": "Register acknowledged the result",
      void: "Voided",
      refund: "Refunded",
    },
    notFound: "No such payment.",
    registerNotFound: "No such register.",
    amountNeedsStore: "Choose a store to search by amount.",
    badAmount: "Write the amount as a number, e.g. 1200.",
    badDate: "Write dates as YYYY-MM-DD.",
    reasonNeeded: "Say why the money goes back.",
    devicesNames: { printer: "printer", display: "pole display", cardReader: "card reader" } as Record<string, string>,
    ledgerOk: "The ledger checks out: every balance matches its transfers and the audit chain is whole.",
    ledgerBroken: "The ledger check found problems:",
    adminsOnly: "Only administrators see this page.",
    forbidden: "This change was refused: reload the page and try again.",
    figures: "X and Z figures",
    audit: "Audit",
    who: "Operator",
    when: "When",
    action: "Action",
    target: "Payment",
    detail: "Detail",
    actions: { "sign-in": "signed in", "sign-out": "signed out", refund: "refund" } as Record<string, string>,
    noPeriods: "No payments settled on this register yet.",
    openPeriod: "Period {n}, open since {t}: running (X) figures",
    closedPeriod: "Period {n}, {from} to {to}: Z report",
    tender: "Tender and currency",
    voids: "Voids",
    net: "Net",
  },
  ja: {
    title: "Code Pay 運用コンソール",
    signIn: "サインイン",
    signOut: "サインアウト",
    username: "ユーザー名",
    password: "パスワード",
    wrongCredentials: "ユーザー名またはパスワードが違います。",
    locked: "パスワードの誤りが続いたため、しばらくしてからお試しください。",
    signedInAs: "サインイン中:",
    admin: "管理者",
    storeOperator: "店舗担当",
    registers: "レジ",
    payments: "支払い",
    ledger: "台帳チェック",
    store: "店舗",
    allStores: "すべての店舗",
    register: "レジ",
    state: "状態",
    anyState: "すべての状態",
    from: "開始日（UTC）",
    to: "終了日（UTC、当日を含む）",
    amountMin: "金額（以上）",
    amountMax: "金額（以下）",
    search: "検索",
    created: "作成",
    amount: "金額",
    refunded: "返金済み",
    payment: "支払い",
    nextPage: "さらに古い支払い",
    noPayments: "該当する支払いはありません。",
    presence: "回線",
    lastSeen: "最終受信",
    version: "エージェントのバージョン",
    devices: "機器",
    online: "オンライン",
    offline: "オフライン",
    unknown: "未受信",
    disabled: "無効",
    liveNote: "このページは数秒ごとに更新されます。",
    lastReported: "最終報告:",
    timeline: "経過",
    refund: "返金",
    refundAmount: "返金額",
    reason: "理由（必須）",
    refundDone: "返金しました。",
    code: "コード",
    reference: "参照番号",
    phone: "電話",
    period: "レジの締め期間",
    events: {
      created: "レジで作成",
      claimed: "お客様の電話が読み取り",
      approved: "承認：送金済み",
      ended: "終了",
      "result-queued": "結果をレジ宛てに保存",
      "result-sent": "結果をレジへ送信",
      "result-acknowledged": "レジが結果を受領",
      void: "取消",
      refund: "返金",
    },
    notFound: "その支払いはありません。",
    registerNotFound: "そのレジはありません。",
    amountNeedsStore: "金額で検索するには店舗を選んでください。",
    badAmount: "金額は数字で入力してください（例: 1200）。",
    badDate: "日付は YYYY-MM-DD で入力してください。",
    reasonNeeded: "返金の理由を入力してください。",
    devicesNames: { printer: "プリンター", display: "カスタマーディスプレイ", cardReader: "カードリーダー" } as Record<string, string>,
    ledgerOk: "台帳は正常です：すべての残高が取引と一致し、監査チェーンも完全です。",
    ledgerBroken: "台帳チェックで問題が見つかりました：",
    adminsOnly: "このページは管理者のみが見られます。",
    forbidden: "この変更は受け付けられませんでした。ページを再読み込みしてやり直してください。",
    figures: "X・Z 集計",
    audit: "操作記録",
    who: "担当者",
    when: "日時",
    action: "操作",
    target: "支払い",
    detail: "内容",
    actions: { "sign-in": "サインイン", "sign-out": "サインアウト", refund: "返金" } as Record<string, string>,
    noPeriods: "このレジではまだ決済がありません。",
    openPeriod: "期間 {n}（{t} から、締め前）：途中集計（X）",
    closedPeriod: "期間 {n}（{from} ～ {to}）：締め集計（Z）",
    tender: "支払方法・通貨",
    voids: "取消",
    net: "純額",
  },
} as const;

export type ConsoleWords = (typeof WORDS)["en"];

export function consoleWords(lang: PageLanguage): ConsoleWords {
  return WORDS[lang] as ConsoleWords;
}

const STATE_WORDS: Readonly<Record<PageLanguage, Readonly<Record<string, string>>>> = {
  en: { pending: "waiting for the shopper", claimed: "shopper is looking", approved: "approved", declined: "declined", expired: "expired", cancelled: "cancelled", voided: "voided" },
  ja: { pending: "お客様待ち", claimed: "お客様が確認中", approved: "承認", declined: "拒否", expired: "期限切れ", cancelled: "取消（開始前）", voided: "取消" },
};

const DEVICE_STATE_WORDS: Readonly<Record<PageLanguage, Readonly<Record<string, string>>>> = {
  en: { online: "ok", offline: "unplugged", "paper-near-end": "paper low", "paper-end": "out of paper", "cover-open": "cover open" },
  ja: { online: "正常", offline: "未接続", "paper-near-end": "用紙残りわずか", "paper-end": "用紙切れ", "cover-open": "カバー開" },
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** UTC, to the second: operators in several time zones read the same figures. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function money(minor: number, currency: string): string {
  return isCurrencyCode(currency) ? formatMoney({ minor, currency }) : `${currency} ${minor}`;
}

/** Short words for the error and its code in small print. */
export function errorNote(lang: PageLanguage, code: ErrorCode): string {
  return `<p class="error" role="alert">${escapeHtml(ERROR_WORDS[code][lang])} <small>${escapeHtml(code)}</small></p>`;
}

function note(kind: "error" | "notice", text: string): string {
  return `<p class="${kind}" role="${kind === "error" ? "alert" : "status"}">${escapeHtml(text)}</p>`;
}

export interface LayoutOptions {
  readonly lang: PageLanguage;
  readonly title: string;
  readonly operator?: OperatorIdentity;
  readonly csrf?: string;
  readonly refreshS?: number;
  readonly current?: "registers" | "payments" | "ledger" | "audit";
}

export function layout(options: LayoutOptions, body: string): string {
  const w = consoleWords(options.lang);
  const refresh = options.refreshS === undefined ? "" : `<meta http-equiv="refresh" content="${options.refreshS}">`;
  let nav = "";
  if (options.operator !== undefined) {
    const link = (key: "registers" | "payments" | "ledger" | "audit", href: string) =>
      `<a href="${href}"${options.current === key ? ' aria-current="page"' : ""}>${escapeHtml(w[key])}</a>`;
    const role = options.operator.role === "admin" ? w.admin : `${w.storeOperator} · ${options.operator.storeId ?? ""}`;
    nav = `<header><nav aria-label="${escapeHtml(w.title)}">${link("registers", `${CONSOLE_PREFIX}/registers`)} ${link("payments", `${CONSOLE_PREFIX}/payments`)}${options.operator.role === "admin" ? ` ${link("ledger", `${CONSOLE_PREFIX}/ledger`)} ${link("audit", `${CONSOLE_PREFIX}/audit`)}` : ""}</nav>
<form method="post" action="${CONSOLE_PREFIX}/sign-out" class="sign-out"><span>${escapeHtml(w.signedInAs)} <strong>${escapeHtml(options.operator.username)}</strong> (${escapeHtml(role)})</span>
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf ?? "")}"><button type="submit">${escapeHtml(w.signOut)}</button></form></header>`;
  }
  return `<!doctype html>
<html lang="${options.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${escapeHtml(options.title)} · ${escapeHtml(w.title)}</title><link rel="stylesheet" href="${CONSOLE_STYLESHEET_PATH}"></head>
<body>${nav}<main><h1>${escapeHtml(options.title)}</h1>
${body}</main></body></html>`;
}

export function signInPage(lang: PageLanguage, state: { readonly username?: string; readonly problem?: "wrong" | "locked" | "forbidden" }): string {
  const w = consoleWords(lang);
  const problem = state.problem === "wrong" ? note("error", w.wrongCredentials) : state.problem === "locked" ? note("error", w.locked) : state.problem === "forbidden" ? note("error", w.forbidden) : "";
  return layout(
    { lang, title: w.signIn },
    `${problem}<form method="post" action="${CONSOLE_PREFIX}/sign-in" class="sign-in">
<label for="username">${escapeHtml(w.username)}</label><input id="username" name="username" autocomplete="username" required maxlength="64" value="${escapeHtml(state.username ?? "")}">
<label for="password">${escapeHtml(w.password)}</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
<button type="submit">${escapeHtml(w.signIn)}</button></form>`,
  );
}

export function registersPage(options: LayoutOptions, rows: readonly RegisterHealthRow[]): string {
  const w = consoleWords(options.lang);
  const presence = (row: RegisterHealthRow) => (row.disabled ? w.disabled : row.presence === "online" ? w.online : row.presence === "offline" ? w.offline : w.unknown);
  const devices = (row: RegisterHealthRow) =>
    Object.entries(row.devices)
      .map(([device, state]) => `${escapeHtml(w.devicesNames[device] ?? device)}: ${escapeHtml(DEVICE_STATE_WORDS[options.lang][state ?? ""] ?? state)}`)
      .join(", ");
  const body = rows
    .map(
      (row) => `<tr data-register="${escapeHtml(row.registerId)}" data-presence="${row.presence}"><td>${escapeHtml(row.storeId)}</td><th scope="row"><a href="${CONSOLE_PREFIX}/registers/${encodeURIComponent(row.registerId)}">${escapeHtml(row.name)}</a> <small>${escapeHtml(row.registerId)}</small></th>
<td class="presence ${row.presence}">${escapeHtml(presence(row))}</td><td>${row.lastSeenAt === null ? "" : escapeHtml(formatTime(row.lastSeenAt))}</td><td>${escapeHtml(row.agentVersion ?? "")}</td><td${row.presence === "online" ? "" : ' class="stale"'}>${row.presence !== "online" && Object.keys(row.devices).length > 0 ? `${escapeHtml(w.lastReported)} ` : ""}${devices(row)}</td></tr>`,
    )
    .join("\n");
  return layout(
    { ...options, refreshS: options.refreshS },
    `<p class="hint">${escapeHtml(w.liveNote)}</p><table><caption>${escapeHtml(w.registers)}</caption>
<thead><tr><th scope="col">${escapeHtml(w.store)}</th><th scope="col">${escapeHtml(w.register)}</th><th scope="col">${escapeHtml(w.presence)}</th><th scope="col">${escapeHtml(w.lastSeen)}</th><th scope="col">${escapeHtml(w.version)}</th><th scope="col">${escapeHtml(w.devices)}</th></tr></thead>
<tbody>${body}</tbody></table>`,
  );
}

/** The search form's fields as the operator typed them (echoed back, escaped). */
export interface SearchFields {
  readonly store?: string;
  readonly register?: string;
  readonly state?: string;
  readonly from?: string;
  readonly to?: string;
  readonly min?: string;
  readonly max?: string;
}

export function paymentsPage(options: LayoutOptions, view: { readonly stores: readonly StoreChoice[]; readonly fields: SearchFields; readonly payments: readonly PaymentRow[]; readonly nextHref?: string; readonly problem?: string }): string {
  const w = consoleWords(options.lang);
  const f = view.fields;
  const storeSelect =
    options.operator?.role === "admin"
      ? `<label for="store">${escapeHtml(w.store)}</label><select id="store" name="store"><option value="">${escapeHtml(w.allStores)}</option>${view.stores
          .map((store) => `<option value="${escapeHtml(store.id)}"${f.store === store.id ? " selected" : ""}>${escapeHtml(store.name)} (${escapeHtml(store.id)})</option>`)
          .join("")}</select>`
      : "";
  const states = PAYMENT_STATES.map((state) => `<option value="${state}"${f.state === state ? " selected" : ""}>${escapeHtml(STATE_WORDS[options.lang][state] ?? state)}</option>`).join("");
  const input = (name: keyof SearchFields, label: string, type: string) =>
    `<label for="${name}">${escapeHtml(label)}</label><input id="${name}" name="${name}" type="${type}" value="${escapeHtml(f[name] ?? "")}"${type === "text" ? ' inputmode="decimal"' : ""}>`;
  const rows = view.payments
    .map(
      (p) => `<tr><th scope="row"><a href="${CONSOLE_PREFIX}/payments/${encodeURIComponent(p.paymentId)}">${escapeHtml(p.registerPaymentId)}</a></th><td>${escapeHtml(formatTime(p.createdAt))}</td><td>${escapeHtml(p.storeId)}</td><td>${escapeHtml(p.registerId)}</td>
<td class="money">${escapeHtml(money(p.amountMinor, p.currency))}</td><td>${escapeHtml(STATE_WORDS[options.lang][p.state] ?? p.state)}</td><td class="money">${p.reversedMinor > 0 ? escapeHtml(money(p.reversedMinor, p.currency)) : ""}</td></tr>`,
    )
    .join("\n");
  const table =
    view.payments.length === 0
      ? `<p>${escapeHtml(w.noPayments)}</p>`
      : `<table><caption>${escapeHtml(w.payments)}</caption><thead><tr><th scope="col">${escapeHtml(w.payment)}</th><th scope="col">${escapeHtml(w.created)}</th><th scope="col">${escapeHtml(w.store)}</th><th scope="col">${escapeHtml(w.register)}</th><th scope="col">${escapeHtml(w.amount)}</th><th scope="col">${escapeHtml(w.state)}</th><th scope="col">${escapeHtml(w.refunded)}</th></tr></thead><tbody>${rows}</tbody></table>`;
  const next = view.nextHref === undefined ? "" : `<p><a rel="next" href="${escapeHtml(view.nextHref)}">${escapeHtml(w.nextPage)}</a></p>`;
  return layout(
    options,
    `<form method="get" action="${CONSOLE_PREFIX}/payments" class="search" role="search">${storeSelect}
${input("register", w.register, "text")}
<label for="state">${escapeHtml(w.state)}</label><select id="state" name="state"><option value="">${escapeHtml(w.anyState)}</option>${states}</select>
${input("from", w.from, "date")}${input("to", w.to, "date")}${input("min", w.amountMin, "text")}${input("max", w.amountMax, "text")}
<button type="submit">${escapeHtml(w.search)}</button></form>
${view.problem === undefined ? "" : note("error", view.problem)}${table}${next}`,
  );
}

function eventLine(lang: PageLanguage, event: TimelineEvent, currency: string): string {
  const w = consoleWords(lang);
  const what = w.events[event.kind];
  let detail = "";
  if (event.kind === "claimed" && event.phoneId !== null) detail = ` · ${w.phone} ${event.phoneId}`;
  if (event.kind === "approved") detail = ` · ${w.reference} ${event.transferId}`;
  if (event.kind === "ended") detail = ` · ${STATE_WORDS[lang][event.state] ?? event.state}${event.reason === null ? "" : ` (${event.reason})`}`;
  if (event.kind === "void" || event.kind === "refund") detail = ` · ${money(event.amountMinor, currency)} · ${w.reference} ${event.transferId}`;
  return `<li><time datetime="${new Date(event.at).toISOString()}">${escapeHtml(formatTime(event.at))}</time> ${escapeHtml(what)}${escapeHtml(detail)}</li>`;
}

export interface RefundForm {
  readonly refundId: string;
  readonly amount?: string;
  readonly reason?: string;
}

export function paymentPage(options: LayoutOptions, detail: PaymentDetail, view: { readonly refund?: RefundForm; readonly notice?: string; readonly problem?: string }): string {
  const w = consoleWords(options.lang);
  const p = detail.payment;
  const facts: [string, string][] = [
    [w.store, `${detail.storeName} (${p.storeId})`],
    [w.register, `${detail.registerName} (${p.registerId})`],
    [w.amount, money(p.amountMinor, p.currency)],
    [w.state, STATE_WORDS[options.lang][p.state] ?? p.state],
    [w.refunded, money(p.reversedMinor, p.currency)],
    [w.code, p.tender === "card" ? `card ···· ${p.cardLast4 ?? ""}` : p.code],
    [w.reference, p.reference ?? ""],
    [w.period, p.periodNumber === null ? "" : String(p.periodNumber)],
  ];
  const refund =
    view.refund === undefined
      ? ""
      : `<section aria-labelledby="refund-heading"><h2 id="refund-heading">${escapeHtml(w.refund)}</h2>
<form method="post" action="${CONSOLE_PREFIX}/payments/${encodeURIComponent(p.paymentId)}/refund" class="refund">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf ?? "")}"><input type="hidden" name="refundId" value="${escapeHtml(view.refund.refundId)}">
<label for="refund-amount">${escapeHtml(w.refundAmount)} (${escapeHtml(p.currency)})</label><input id="refund-amount" name="amount" inputmode="decimal" required value="${escapeHtml(view.refund.amount ?? "")}">
<label for="refund-reason">${escapeHtml(w.reason)}</label><input id="refund-reason" name="reason" required maxlength="200" value="${escapeHtml(view.refund.reason ?? "")}">
<button type="submit">${escapeHtml(w.refund)}</button></form></section>`;
  return layout(
    options,
    `${view.notice === undefined ? "" : note("notice", view.notice)}${view.problem ?? ""}
<dl class="facts">${facts.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join("")}</dl>
<section aria-labelledby="timeline-heading"><h2 id="timeline-heading">${escapeHtml(w.timeline)}</h2><ol class="timeline">${detail.timeline.map((event) => eventLine(options.lang, event, p.currency)).join("\n")}</ol></section>
${refund}`,
  );
}

const TENDER_WORDS: Readonly<Record<PageLanguage, Readonly<Record<string, string>>>> = {
  en: { code: "code", card: "card" },
  ja: { code: "コード", card: "カード" },
};

export function registerFiguresPage(options: LayoutOptions, figures: readonly PeriodFigures[]): string {
  const w = consoleWords(options.lang);
  if (figures.length === 0) return layout(options, `<p>${escapeHtml(w.noPeriods)}</p>`);
  const counted = (count: number, minor: number, currency: string) => `${count} · ${money(minor, currency)}`;
  const sections = figures.map((period) => {
    const heading =
      period.closedAt === null
        ? w.openPeriod.replace("{n}", String(period.number)).replace("{t}", formatTime(period.openedAt))
        : w.closedPeriod.replace("{n}", String(period.number)).replace("{from}", formatTime(period.openedAt)).replace("{to}", formatTime(period.closedAt));
    const rows = period.totals
      .map(
        (t) => `<tr><th scope="row">${escapeHtml(TENDER_WORDS[options.lang][t.tender] ?? t.tender)} ${escapeHtml(t.currency)}</th><td class="money">${escapeHtml(counted(t.payments.count, t.payments.minor, t.currency))}</td>
<td class="money">${escapeHtml(counted(t.voids.count, t.voids.minor, t.currency))}</td><td class="money">${escapeHtml(counted(t.refunds.count, t.refunds.minor, t.currency))}</td><td class="money">${escapeHtml(money(t.netMinor, t.currency))}</td></tr>`,
      )
      .join("\n");
    return `<section data-period="${period.number}" data-kind="${period.closedAt === null ? "x" : "z"}"><h2>${escapeHtml(heading)}</h2><table><thead><tr><th scope="col">${escapeHtml(w.tender)}</th><th scope="col">${escapeHtml(w.payments)}</th><th scope="col">${escapeHtml(w.voids)}</th><th scope="col">${escapeHtml(w.refunded)}</th><th scope="col">${escapeHtml(w.net)}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
  });
  return layout(options, sections.join("\n"));
}

export interface AuditLine {
  readonly username: string;
  readonly action: string;
  readonly target: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly at: number;
}

export function auditPage(options: LayoutOptions, entries: readonly AuditLine[]): string {
  const w = consoleWords(options.lang);
  const detail = (entry: AuditLine) => {
    const d = entry.detail;
    if (entry.action === "refund" && typeof d["amountMinor"] === "number" && typeof d["currency"] === "string") return `${money(d["amountMinor"], d["currency"])} · ${String(d["reason"] ?? "")}`;
    return typeof d["address"] === "string" ? d["address"] : "";
  };
  const rows = entries
    .map(
      (entry) => `<tr><td>${escapeHtml(formatTime(entry.at))}</td><th scope="row">${escapeHtml(entry.username)}</th><td>${escapeHtml(w.actions[entry.action] ?? entry.action)}</td>
<td>${entry.target === null ? "" : `<a href="${CONSOLE_PREFIX}/payments/${encodeURIComponent(entry.target)}">${escapeHtml(entry.target)}</a>`}</td><td>${escapeHtml(detail(entry))}</td></tr>`,
    )
    .join("\n");
  return layout(
    options,
    `<table><caption>${escapeHtml(w.audit)}</caption><thead><tr><th scope="col">${escapeHtml(w.when)}</th><th scope="col">${escapeHtml(w.who)}</th><th scope="col">${escapeHtml(w.action)}</th><th scope="col">${escapeHtml(w.target)}</th><th scope="col">${escapeHtml(w.detail)}</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

export function messagePage(options: LayoutOptions, text: string): string {
  return layout(options, note("error", text));
}

export function ledgerPage(options: LayoutOptions, report: { readonly ok: boolean; readonly lines: readonly string[] }): string {
  const w = consoleWords(options.lang);
  const body = report.ok ? note("notice", w.ledgerOk) : `${note("error", w.ledgerBroken)}<ul>${report.lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`;
  return layout(options, body);
}

export const CONSOLE_STYLESHEET = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fafafa; }
body { margin: 0; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: .5rem 1rem; background: #10365a; color: #fff; }
header a { color: #fff; margin-right: 1rem; }
header a[aria-current="page"] { font-weight: bold; text-decoration: underline; }
header form { display: flex; gap: .5rem; align-items: center; margin: 0; }
main { padding: 1rem; max-width: 72rem; }
h1 { font-size: 1.4rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td.money { text-align: right; font-variant-numeric: tabular-nums; }
.presence.online { color: #0a6b2d; font-weight: bold; }
.presence.offline { color: #a4000f; font-weight: bold; }
form.search, form.refund, form.sign-in { display: grid; grid-template-columns: max-content minmax(10rem, 20rem); gap: .4rem .75rem; align-items: center; margin-bottom: 1rem; }
form.search button, form.refund button, form.sign-in button { grid-column: 2; justify-self: start; }
input, select, button { font: inherit; padding: .3rem .4rem; }
button { background: #10365a; color: #fff; border: 0; border-radius: .25rem; padding: .4rem .9rem; cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.error { color: #a4000f; font-weight: bold; }
.error small, th small { font-weight: normal; color: #555; }
.notice { color: #0a6b2d; font-weight: bold; }
.hint, td.stale { color: #555; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
ol.timeline li { margin: .2rem 0; }
`;
