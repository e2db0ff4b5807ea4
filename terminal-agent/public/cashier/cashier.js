// The cashier panel: start, follow and cancel code payments, refund them, print X/Z reports,
// all through the agent's cashier API (same origin, 127.0.0.1). Live updates come from /v1/events.
const $ = (id) => document.getElementById(id);
const currency = document.documentElement.dataset.currency || "JPY";
const fractionDigits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 0;
const payments = new Map(); // paymentId -> { payment, startedAt }
const FINAL = ["approved", "declined", "expired", "cancelled", "failed", "voided"];
const recentMax = 20;
let currentId;
/** Device faults from /v1/health (or its `health` events): what someone must act on now. */
let deviceFaults = [];
const language = (navigator.language || "en").toLowerCase().startsWith("ja") ? "ja" : "en";
const DEVICE_NAMES = { printer: "Receipt printer", cardReader: "Card reader", display: "Pole display" };
const DEVICE_STATUS_TEXT = { "paper-end": "out of paper", "cover-open": "cover open", "printer-offline": "offline" };
let refundId;
let countdown;

for (const node of document.querySelectorAll(".currency")) node.textContent = currency;

// --- money ---------------------------------------------------------------------------------
/** The most a payment can be, in minor units (contract AMOUNT_MINOR_MAX, given by the page). */
const amountMinorMax = Number(document.documentElement.dataset.amountMax || "1000000000000");

/**
 * What a cashier types, as the amount's text in ASCII: full-width digits and signs (a Japanese keyboard's
 * "１２００"), a currency sign or code ("¥1,200", "JPY 1200") and group separators (",", spaces) dropped.
 */
function normalizeAmount(text) {
  return text
    .replace(/[\uFF10-\uFF19]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) - 0xff10 + 0x30))
    .replace(/[\uFF0E\u3002]/g, ".")
    .replace(/[\s\u3000,\uFF0C'_]/g, "")
    .replace(/^(?:[¥￥$€£]|[A-Za-z]{3})/, "");
}

/**
 * "12.34" -> 1234 (EUR), "¥1,200" / "1 200" / "１２００" -> 1200 (JPY). Answers { minor } or { error }:
 * the words to show (a too large amount says the maximum).
 */
function readAmount(text) {
  const match = /^(\d{1,16})(?:\.(\d+))?$/.exec(normalizeAmount(text));
  const example = fractionDigits === 0 ? "1200" : "12.34";
  if (match === null || (match[2] ?? "").length > fractionDigits) return { error: `Type an amount in ${currency}, like ${example}.` };
  const minor = Number(match[1]) * 10 ** fractionDigits + Number((match[2] ?? "").padEnd(fractionDigits, "0") || "0");
  if (minor <= 0) return { error: "The amount must be more than zero." };
  if (!Number.isSafeInteger(minor) || minor > amountMinorMax) return { error: `Too large: the most is ${money({ minor: amountMinorMax, currency })}.` };
  return { minor };
}

function parseAmount(text) {
  return readAmount(text).minor;
}

function money(amount) {
  return `${amount.currency} ${(amount.minor / 10 ** fractionDigits).toFixed(fractionDigits)}`;
}

// As on the pole display (protocol groupCode): two groups up to 8 digits, the last of 4; longer
// codes three groups as even as possible, the longer ones last ("482 913 7051").
function groupCode(code) {
  if (code.length <= 4) return code;
  if (code.length <= 8) return `${code.slice(0, -4)} ${code.slice(-4)}`;
  const short = Math.floor(code.length / 3);
  const first = short;
  const second = short + (code.length % 3 === 2 ? 1 : 0);
  return `${code.slice(0, first)} ${code.slice(first, first + second)} ${code.slice(first + second)}`;
}

// --- cashier API ---------------------------------------------------------------------------
async function call(method, path, body) {
  try {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await response.json().catch(() => ({}));
    if (response.ok) return { ok: true, value: json };
    return { ok: false, status: response.status, code: json.error?.code ?? `HTTP ${response.status}`, message: json.error?.message ?? "" };
  } catch (error) {
    return { ok: false, status: 0, code: "NETWORK", message: String(error) };
  }
}

/** Words for error codes in the page's language (contract ERROR_WORDS, served as /assets/error-words.json). */
let errorWords = {};
fetch("/assets/error-words.json").then((response) => response.json()).then((words) => (errorWords = words)).catch(() => {});
const LOCAL_WORDS = { NETWORK: { en: "The register's agent does not answer", ja: "レジのエージェントが応答しません" } };

/** Words for a code a person reads (never the code itself: that goes in small print, see say()). */
function wordsFor(code) {
  const words = errorWords[code] ?? LOCAL_WORDS[code];
  return words === undefined ? (language === "ja" ? "エラーが発生しました" : "Something went wrong") : words[language] ?? words.en;
}

function refusal(result) {
  if (result.status === 404 && result.code === "NOT_FOUND") return "this agent does not offer that yet";
  return wordsFor(result.code);
}

/** Sets an element's text, with the code after it in small print for support calls. */
function say(element, text, code) {
  element.textContent = text;
  if (code !== undefined) element.append(" ", Object.assign(document.createElement("small"), { className: "code", textContent: code }));
}

// --- current payment -----------------------------------------------------------------------
const STATE_TEXT = {
  "awaiting-card": "Swipe the card", requested: "Waiting for the code…", issued: "Waiting for the shopper", approved: "Approved", declined: "Declined",
  expired: "Code expired", cancelled: "Cancelled", failed: "Refused by the server", voided: "Voided",
};

/**
 * Keeps the newest view of each payment. A command's reply and the event stream may cross: a cancel's
 * reply (cancel asked, still waiting for the shopper) can arrive after the event that it was cancelled,
 * and a refresh's reply after newer events. An older view must not bring a payment back.
 */
function remember(payment) {
  const known = payments.get(payment.paymentId);
  if (known !== undefined && payment.updatedAt < known.payment.updatedAt) return;
  payments.set(payment.paymentId, { payment, startedAt: known?.startedAt ?? payment.createdAt ?? Date.now() });
  while (payments.size > recentMax) payments.delete(payments.keys().next().value);
}

function renderCurrent() {
  const entry = payments.get(currentId);
  $("current").hidden = entry === undefined;
  if (entry === undefined) return;
  const { payment } = entry;
  const previous = $("current-state").dataset.state;
  $("current-state").textContent = STATE_TEXT[payment.state] ?? payment.state;
  $("current-state").dataset.state = payment.state;
  $("current-amount").textContent = money(payment.amount);
  $("current-code-row").hidden = payment.state !== "issued" || payment.code === undefined;
  $("current-code").textContent = payment.code === undefined ? "" : groupCode(payment.code);
  const details = [];
  if (payment.state === "declined" && !payment.reason) details.push("Declined by the shopper on the phone");
  if (payment.reason) details.push(`Reason: ${wordsFor(payment.reason)}`);
  if (payment.state === "awaiting-card" && payment.cardError) details.push(`Bad swipe: ${wordsFor(payment.cardError)}`);
  if (payment.cardLast4) details.push(`Card ****${payment.cardLast4}`);
  if (payment.reference) details.push(`Reference ${payment.reference}`);
  if (payment.state === "approved") details.push(payment.receiptPrinted ? "Receipt printed" : receiptWaiting());
  details.push(`Payment ${payment.paymentId}`);
  say($("current-detail"), details.join(" · "), payment.reason ?? (payment.state === "awaiting-card" ? payment.cardError : undefined));
  $("cancel").hidden = FINAL.includes(payment.state);
  if (previous !== payment.state) {
    $("current-announce").textContent = `${STATE_TEXT[payment.state] ?? payment.state}${payment.state === "issued" && payment.code ? `: code ${groupCode(payment.code)}` : ""}`;
  }
  startCountdown(payment);
}

/** An approved payment's receipt that has not come out: printing, or waiting for the printer's fault to clear. */
function receiptWaiting() {
  const fault = deviceFaults.find((each) => each.device === "printer");
  return fault === undefined ? "Printing the receipt…" : `Receipt waiting: ${wordsOf(fault)} (it prints when the printer is ready)`;
}

function wordsOf(fault) {
  return fault.words?.[language] ?? fault.words?.en ?? "device fault";
}

/** Words first, the code in small print. */
function faultLine(fault, element = "p") {
  const line = document.createElement(element);
  line.append(`${DEVICE_NAMES[fault.device] ?? fault.device}: ${wordsOf(fault)}`, Object.assign(document.createElement("small"), { textContent: fault.code }));
  return line;
}

function startCountdown(payment) {
  clearInterval(countdown);
  const tick = () => {
    if (payment.state !== "issued" || payment.expiresAt === undefined) return ($("current-expiry").textContent = "");
    const seconds = Math.max(0, Math.ceil((payment.expiresAt - Date.now()) / 1000));
    $("current-expiry").textContent = `(expires in ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")})`;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

// --- recent payments -----------------------------------------------------------------------
function renderRecent() {
  const rows = [...payments.values()].reverse().map(({ payment, startedAt }) => {
    const row = document.createElement("tr");
    const refunded = payment.refundedMinor > 0 ? ` · refunded ${money({ minor: payment.refundedMinor, currency: payment.amount.currency })}` : "";
    const cells = [new Date(startedAt).toLocaleTimeString("en-GB", { hour12: false }), money(payment.amount), `${STATE_TEXT[payment.state] ?? payment.state}${refunded}`, payment.paymentId];
    for (const text of cells) row.append(Object.assign(document.createElement("td"), { textContent: text }));
    row.children[2].dataset.state = payment.state;
    const actions = document.createElement("td");
    if (payment.state === "approved") {
      const refund = Object.assign(document.createElement("button"), { type: "button", textContent: "Refund…" });
      refund.setAttribute("aria-label", `Refund ${money(payment.amount)} payment ${payment.paymentId}`);
      refund.addEventListener("click", () => openRefund(payment));
      const voidButton = Object.assign(document.createElement("button"), { type: "button", textContent: "Void" });
      voidButton.setAttribute("aria-label", `Void ${money(payment.amount)} payment ${payment.paymentId}`);
      voidButton.addEventListener("click", () => voidPayment(payment));
      actions.append(refund, " ", voidButton);
    }
    if (payment.state === "approved" || payment.state === "voided") {
      const copy = Object.assign(document.createElement("button"), { type: "button", textContent: "Reprint" });
      copy.setAttribute("aria-label", `Reprint the receipt of ${money(payment.amount)} payment ${payment.paymentId}`);
      copy.addEventListener("click", () => reprint(payment));
      actions.append(" ", copy);
    }
    row.append(actions);
    return row;
  });
  if (rows.length === 0) return;
  $("recent-rows").replaceChildren(...rows);
}

function update(payment) {
  remember(payment);
  if (payment.paymentId === currentId) renderCurrent();
  renderRecent();
}

// --- actions -------------------------------------------------------------------------------
function showAmountError(message, code) {
  say($("amount-error"), message ?? "", code);
  $("amount-error").hidden = message === undefined;
  $("amount").setAttribute("aria-invalid", String(message !== undefined));
}

async function startPayment(event) {
  event.preventDefault();
  const typed = readAmount($("amount").value);
  if (typed.error !== undefined) return showAmountError(typed.error);
  const amountMinor = typed.minor;
  showAmountError(undefined);
  // "Pay by card" submits with tender card: the register then waits for a swipe.
  const card = event.submitter?.value === "card";
  const result = await call("POST", "/v1/payments", card ? { amountMinor, tender: "card" } : { amountMinor });
  if (!result.ok) return showAmountError(`The register refused: ${refusal(result)}`, result.code);
  // Started, with a word about devices that let the shopper down now (no receipt until the printer is ready).
  const warnings = result.value.warnings ?? [];
  $("start-warning").replaceChildren(...warnings.map((fault) => faultLine(fault, "span")));
  $("start-warning").hidden = warnings.length === 0;
  currentId = result.value.payment.paymentId;
  $("amount").value = "";
  update(result.value.payment);
  $("current-title").focus();
}

async function cancelPayment() {
  if (currentId === undefined) return;
  const result = await call("POST", `/v1/payments/${encodeURIComponent(currentId)}/cancel`, {});
  if (result.ok) update(result.value.payment);
  else say($("current-detail"), `Cancel refused: ${refusal(result)}`, result.code);
}

function openRefund(payment) {
  refundId = payment.paymentId;
  $("refund-payment").textContent = `${money(payment.amount)} · ${payment.paymentId}`;
  $("refund-amount").value = (payment.amount.minor / 10 ** fractionDigits).toFixed(fractionDigits);
  $("refund-reason").value = "";
  $("refund-form").hidden = false;
  $("refund-amount").focus();
}

async function refund(event) {
  event.preventDefault();
  const amountMinor = parseAmount($("refund-amount").value);
  if (refundId === undefined || amountMinor === undefined) return ($("refund-result").textContent = "Type a refund amount.");
  const reason = $("refund-reason").value.trim();
  const result = await call("POST", `/v1/payments/${encodeURIComponent(refundId)}/refunds`, { amountMinor, ...(reason !== "" ? { reason } : {}) });
  if (!result.ok) return say($("refund-result"), `Refund refused: ${refusal(result)}`, result.code);
  const state = result.value.refund?.state === "done" ? "done" : "sent to the server";
  $("refund-result").textContent = `Refund of ${money({ minor: amountMinor, currency })} ${state} (payment ${refundId})`;
  $("refund-form").hidden = true;
  if (result.value.payment !== undefined) update(result.value.payment);
}

async function reprint(payment) {
  const result = await call("POST", `/v1/payments/${encodeURIComponent(payment.paymentId)}/reprint`, {});
  if (result.ok) $("refund-result").textContent = `Receipt copy of ${payment.paymentId} sent to the printer (marked REPRINT)`;
  else say($("refund-result"), `Reprint refused: ${refusal(result)}`, result.code);
}

async function voidPayment(payment) {
  // The answer is the reason printed on the void slip (empty: none); Cancel keeps the payment.
  const answer = prompt(`Void the whole payment of ${money(payment.amount)}? Reason for the slip (optional):`, "");
  if (answer === null) return;
  const reason = answer.trim().slice(0, 60);
  const result = await call("POST", `/v1/payments/${encodeURIComponent(payment.paymentId)}/void`, reason !== "" ? { reason } : {});
  if (result.ok) $("refund-result").textContent = `Void of ${payment.paymentId}: ${STATE_TEXT[result.value.payment.state] ?? result.value.payment.state}`;
  else say($("refund-result"), `Void refused: ${refusal(result)}`, result.code);
  if (result.ok) update(result.value.payment);
}

async function printReport(kind) {
  if (kind === "z" && !confirm("Print the Z report and close this register's day?")) return;
  const result = await call("POST", `/v1/reports/${kind}`, {});
  const box = $("report");
  if (!result.ok) return say(box, `${kind.toUpperCase()} report refused: ${refusal(result)}`, result.code);
  box.replaceChildren(reportTable(result.value.report, result.value.printed === true));
}

function reportTable(report, printed) {
  const table = document.createElement("table");
  table.className = "report";
  const caption = `${report.kind.toUpperCase()} report · period ${report.periodNumber}${report.closedAt ? " (closed)" : ""}${printed ? " · printed" : ""}`;
  table.append(Object.assign(document.createElement("caption"), { textContent: caption }));
  const head = table.createTHead().insertRow();
  for (const title of ["Currency", "Tender", "Payments", "Voids", "Refunds", "Net"]) head.append(Object.assign(document.createElement("th"), { scope: "col", textContent: title }));
  const body = table.createTBody();
  for (const total of report.totals ?? []) {
    const row = body.insertRow();
    const amount = (minor) => money({ minor, currency: total.currency });
    for (const text of [total.currency, total.tender, `${total.payments.count} · ${amount(total.payments.minor)}`, `${total.voids.count} · ${amount(total.voids.minor)}`, `${total.refunds.count} · ${amount(total.refunds.minor)}`, amount(total.netMinor)]) {
      row.insertCell().textContent = text;
    }
  }
  return table;
}

// --- health and events ---------------------------------------------------------------------
async function refreshHealth() {
  const result = await call("GET", "/v1/health");
  if (!result.ok) return ($("health").textContent = "The register agent does not answer");
  showHealth(result.value);
}

function showHealth(view) {
  const health = $("health");
  const devices = Object.entries(view.devices ?? {}).map(([name, status]) => `${name.replace(/([A-Z])/g, " $1").toLowerCase()} ${DEVICE_STATUS_TEXT[status] ?? status}`).join(" · ");
  health.textContent = `Server line ${view.mqtt}${devices ? ` · ${devices}` : ""}`;
  health.dataset.line = view.mqtt;
  deviceFaults = view.faults ?? [];
  $("device-faults").replaceChildren(...deviceFaults.map((fault) => faultLine(fault)));
  $("device-faults").hidden = deviceFaults.length === 0;
  if (deviceFaults.length === 0) $("start-warning").hidden = true;
  renderCurrent();
}

/** Re-reads the payments still in progress: after the event stream (re)opens, and now and then, so a missed event heals. */
/** After a (re)load: the register's recent payments from its journal, so refunds and voids stay reachable. */
async function loadHistory() {
  const result = await call("GET", `/v1/payments?limit=${recentMax}`);
  if (!result.ok) return;
  const newestFirst = result.value.payments;
  for (const payment of [...newestFirst].reverse()) remember(payment);
  const open = newestFirst.find((payment) => !FINAL.includes(payment.state));
  if (currentId === undefined && (open ?? newestFirst[0]) !== undefined) currentId = (open ?? newestFirst[0]).paymentId;
  renderCurrent();
  renderRecent();
}

async function refreshOpenPayments() {
  for (const { payment } of [...payments.values()]) {
    if (FINAL.includes(payment.state) && payment.paymentId !== currentId) continue;
    const result = await call("GET", `/v1/payments/${encodeURIComponent(payment.paymentId)}`);
    if (result.ok) update(result.value.payment);
  }
}

function connect() {
  const events = new EventSource("/v1/events");
  events.addEventListener("open", () => {
    document.documentElement.dataset.live = "true";
    refreshOpenPayments();
  });
  events.addEventListener("error", () => delete document.documentElement.dataset.live);
  events.addEventListener("payment", (event) => update(JSON.parse(event.data).payment));
  events.addEventListener("health", (event) => showHealth(JSON.parse(event.data)));
}

$("new-payment").addEventListener("submit", startPayment);
$("cancel").addEventListener("click", cancelPayment);
$("refund-form").addEventListener("submit", refund);
$("refund-cancel").addEventListener("click", () => ($("refund-form").hidden = true));
for (const button of document.querySelectorAll("[data-report]")) button.addEventListener("click", () => printReport(button.dataset.report));
connect();
loadHistory();
refreshHealth();
setInterval(refreshHealth, 5000);
setInterval(refreshOpenPayments, 3000);
