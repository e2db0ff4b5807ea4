// The shopper page: type the code off the register's display, see store, register, amount and the
// balance, approve (with a PIN when the server asks for one), get the receipt at once; the wallet
// lists the balance and past payments with their receipts. Calls the shopper API through the carrier
// gateway with relative URLs; the demo phone's credential rides along as a bearer token.
import { codeFeedback, digitsOf, groupDigits } from "./code-entry.js";
import { formatAmount, formatWait, say } from "./messages.js";
import { balanceIn, formatTime, fundsWarning, historyRow, receiptRows, referenceOf, secondsLeft } from "./wallet-format.js";
import { historyItem, receiptElement } from "./wallet-view.js";

const API = "/api/v1";
const CREDENTIAL_KEY = "codepay.subscriberCredential";
const language = document.documentElement.lang === "ja" ? "ja" : "en";
// The length of a code issued now (the hint) and every length the server may have issued (accepted).
const codeLength = Number(document.documentElement.dataset.codeLength) || 7;
const codeLengths = {
  expected: codeLength,
  min: Number(document.documentElement.dataset.codeLengthMin) || codeLength,
  max: Math.max(codeLength, Number(document.documentElement.dataset.codeLengthMax) || codeLength),
};
const $ = (id) => document.getElementById(id);
const t = (key, values) => say(language, key, values);

const state = { digits: "", claim: undefined, busy: false, countdown: undefined, retryCountdown: undefined, historyNext: undefined, openedPaymentId: undefined };
const STEPS = ["step-phone", "step-code", "step-confirm", "step-result", "step-wallet", "step-receipt"];

// --- the demo phone's identity -------------------------------------------------------------
// A link like /#phone=<credential> sets it (the fragment never leaves the browser); it is kept for
// this tab only and removed from the address bar.
function takeCredentialFromFragment() {
  const match = /(?:^#|&)phone=([A-Za-z0-9_-]{16,128})/.exec(location.hash);
  if (match === null) return;
  sessionStorage.setItem(CREDENTIAL_KEY, match[1]);
  history.replaceState(null, "", location.pathname + location.search);
}

const credential = () => sessionStorage.getItem(CREDENTIAL_KEY) ?? "";

// --- talking to the API --------------------------------------------------------------------
function post(path, body) {
  return call(path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${credential()}` }, body: JSON.stringify(body) });
}

function get(path) {
  return call(path, { method: "GET", headers: { authorization: `Bearer ${credential()}` } });
}

async function call(path, init) {
  let response;
  try {
    response = await fetch(API + path, init);
  } catch {
    return { ok: false, code: "NETWORK" };
  }
  const json = await response.json().catch(() => undefined);
  if (response.ok) return { ok: true, value: json };
  // PHONE_LOCKED, STORE_LOCKED and RATE_LIMITED say how long to wait (whole seconds).
  const retryAfterS = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  return { ok: false, code: json?.error?.code ?? "NETWORK", ...(retryAfterS > 0 ? { retryAfterS } : {}) };
}

// --- steps ---------------------------------------------------------------------------------
/** Shows one step; moves focus to its heading so keyboard and screen-reader users land on it. */
function show(step, { focus = true } = {}) {
  for (const id of STEPS) $(id).hidden = id !== step;
  if (step !== "step-result") stopRetryCountdown();
  // Pay / Wallet: once the phone is known; the current one is marked for screen readers.
  $("sections").hidden = step === "step-phone";
  const inWallet = step === "step-wallet" || step === "step-receipt";
  for (const [id, current] of [["nav-pay", !inWallet], ["nav-wallet", inWallet]]) {
    if (current) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
  if (focus) $(step).querySelector("h1")?.focus();
}

function setBusy(busy) {
  state.busy = busy;
  for (const button of document.querySelectorAll("form button, #again")) button.toggleAttribute("aria-disabled", busy);
  document.body.classList.toggle("busy", busy);
  if (!busy) renderCode();
}

function showError(id, message) {
  const element = $(id);
  element.textContent = message ?? "";
  element.hidden = message === undefined;
}

// --- code entry ----------------------------------------------------------------------------
function renderCode() {
  const input = $("code-input");
  input.value = groupDigits(state.digits, codeLength);
  const feedback = codeFeedback(state.digits, codeLengths);
  const hint = {
    empty: t("hintEmpty", { count: codeLength }),
    partial: feedback.missing === 0 ? "" : feedback.missing === 1 ? t("hintPartialOne") : t("hintPartial", { count: feedback.missing }),
    valid: "",
    typo: "",
  }[feedback.state];
  $("code-hint").textContent = hint;
  const check = $("code-check");
  check.textContent = feedback.state === "valid" ? t("checkValid") : feedback.state === "typo" ? t("checkTypo") : "";
  check.className = `check ${feedback.state}`;
  input.setAttribute("aria-invalid", String(feedback.state === "typo"));
  $("code-submit").disabled = !feedback.submittable || state.busy;
}

function setDigits(digits) {
  state.digits = digitsOf(digits, codeLengths.max);
  showError("code-error", undefined);
  renderCode();
}

function onKeypad(event) {
  const button = event.target.closest("button");
  if (button === null || state.busy) return;
  if (button.dataset.digit !== undefined) setDigits(state.digits + button.dataset.digit);
  else if (button.dataset.key === "back") setDigits(state.digits.slice(0, -1));
  else if (button.dataset.key === "clear") setDigits("");
}

/**
 * A request id the server keeps as this request's idempotency key: a UUID version 7 (the time in
 * milliseconds first, as contract's timeOrderedUuid makes them), so the server's records arrive in
 * order and append to its index instead of landing on a random page each.
 */
function newRequestId() {
  const time = Date.now().toString(16).padStart(12, "0").slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${crypto.randomUUID().slice(15)}`;
}

async function onCodeSubmit(event) {
  event.preventDefault();
  if (state.busy || !codeFeedback(state.digits, codeLengths).submittable) return;
  setBusy(true);
  // The balance is read beside the claim, so the confirm step can show it (and warn) at once.
  const wallet = get("/wallet");
  const result = await post("/claims", { requestId: newRequestId(), code: state.digits });
  setBusy(false);
  if (result.ok) return showConfirm(result.value, wallet);
  if (result.code === "CODE_CHECK_DIGIT") return showError("code-error", t("typoCode"));
  if (result.code === "CODE_NOT_FOUND" || result.code === "PAYMENT_NOT_FOUND") return showError("code-error", t("wrongCode"));
  showOutcome(result.code, result.retryAfterS);
}

// --- confirm and approve -------------------------------------------------------------------
function showConfirm(claim, wallet) {
  state.claim = claim;
  $("confirm-store").textContent = claim.storeName;
  $("confirm-register").textContent = claim.registerName || claim.registerId;
  $("confirm-amount").textContent = formatAmount(language, claim.amount);
  $("confirm-balance-row").hidden = true;
  showError("confirm-funds", undefined);
  $("pin-group").hidden = true;
  $("pin-input").value = "";
  showError("confirm-error", undefined);
  startCountdown(claim.expiresAt);
  show("step-confirm");
  wallet.then((answer) => showBalance(claim, answer));
}

/** The balance in the payment's currency, and a warning when it does not cover the amount (17.7). */
function showBalance(claim, answer) {
  if (state.claim !== claim || !answer.ok) return; // no balance shown: the approval still decides
  const balances = answer.value.balances;
  const balance = balanceIn(language, balances, claim.amount.currency);
  $("confirm-balance").textContent = balance ?? formatAmount(language, { minor: 0, currency: claim.amount.currency });
  $("confirm-balance-row").hidden = false;
  showError("confirm-funds", fundsWarning(language, balances, claim.amount));
}

function startCountdown(expiresAt) {
  stopCountdown();
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
    const time = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    $("confirm-expiry").textContent = seconds > 0 ? t("expiresIn", { time }) : t("expiredNow");
    if (seconds === 0) stopCountdown();
  };
  tick();
  state.countdown = setInterval(tick, 1000);
}

function stopCountdown() {
  if (state.countdown !== undefined) clearInterval(state.countdown);
  state.countdown = undefined;
}

async function onApprove(event) {
  event.preventDefault();
  if (state.busy || state.claim === undefined) return;
  const pinShown = !$("pin-group").hidden;
  const pin = $("pin-input").value.trim();
  if (pinShown && pin === "") return pinAsked(t("pinNeeded"));
  setBusy(true);
  // A fresh requestId per attempt: a retry after PIN_REQUIRED is a new request, not a replay.
  const body = pinShown ? { requestId: newRequestId(), pin } : { requestId: newRequestId() };
  const result = await post(`/payments/${encodeURIComponent(state.claim.paymentId)}/approve`, body);
  setBusy(false);
  if (result.ok) return showPaid(state.claim, result.value);
  if (result.code === "PIN_REQUIRED") return pinAsked(t("pinNeeded"));
  if (result.code === "PIN_WRONG") return pinAsked(t("pinWrong"));
  showOutcome(result.code, result.retryAfterS);
}

function pinAsked(message) {
  $("pin-group").hidden = false;
  $("pin-input").value = "";
  showError("confirm-error", message);
  $("pin-input").focus();
}

async function onDecline() {
  if (state.busy || state.claim === undefined) return;
  setBusy(true);
  const result = await post(`/payments/${encodeURIComponent(state.claim.paymentId)}/decline`, { requestId: newRequestId() });
  setBusy(false);
  if (result.ok) return showResult("declined", t("declinedByYou"), t("declinedByYouDetail"), state.claim.amount);
  showOutcome(result.code, result.retryAfterS);
}

// --- outcomes ------------------------------------------------------------------------------
const OUTCOMES = {
  INSUFFICIENT_FUNDS: ["declined", "declinedTitle", "declinedFunds"],
  NO_ACCOUNT: ["declined", "declinedTitle", "declinedFunds"],
  CODE_EXPIRED: ["expired", "expiredTitle", "expiredDetail"],
  PAYMENT_CANCELLED: ["declined", "cancelledTitle", "cancelledDetail"],
  PAYMENT_SETTLED: ["info", "settledTitle", "settledDetail"],
  PAYMENT_CLAIMED: ["declined", "claimedTitle", "claimedDetail"],
  PHONE_LOCKED: ["locked", "lockedTitle", "lockedDetail"],
  STORE_LOCKED: ["locked", "lockedTitle", "lockedDetail"],
  RATE_LIMITED: ["locked", "busyTitle", "lockedDetail"],
};

function showOutcome(code, retryAfterS) {
  const outcome = OUTCOMES[code];
  if (outcome !== undefined) {
    // A locked-out shopper sees the server's Retry-After count down to "try again now".
    if (outcome[0] === "locked" && retryAfterS !== undefined) {
      showResult(outcome[0], t(outcome[1]), t("lockedDetailIn", { time: formatWait(language, retryAfterS) }), state.claim?.amount);
      return startRetryCountdown(Date.now() + retryAfterS * 1000);
    }
    return showResult(outcome[0], t(outcome[1]), t(outcome[2]), state.claim?.amount);
  }
  if (code === "SUBSCRIBER_UNKNOWN") {
    sessionStorage.removeItem(CREDENTIAL_KEY);
    show("step-phone");
    return announceOnPhoneStep(t("phoneUnknown"));
  }
  const message = code.startsWith("ASSERTION_") ? t("noGateway") : t("failed");
  if (!$("step-confirm").hidden) return showError("confirm-error", message);
  showError("code-error", message);
}

function announceOnPhoneStep(message) {
  let note = $("phone-error");
  if (note === null) {
    note = Object.assign(document.createElement("p"), { id: "phone-error", className: "error" });
    note.setAttribute("role", "alert");
    $("phone-form").prepend(note);
  }
  note.textContent = message;
}

/**
 * Retry-After, counted down each second on screen. Screen readers hear the wait once (the status
 * announces the first text) and "you can try again now" at the end, not every second.
 */
function startRetryCountdown(deadline) {
  stopRetryCountdown();
  const detail = $("result-detail");
  detail.setAttribute("aria-hidden", "true");
  $("result-spoken").textContent = detail.textContent;
  const tick = () => {
    const seconds = secondsLeft(deadline, Date.now());
    if (seconds > 0) return (detail.textContent = t("lockedDetailIn", { time: formatWait(language, seconds) }));
    stopRetryCountdown();
    detail.textContent = t("retryNow");
    $("result-spoken").textContent = t("retryNow");
  };
  tick();
  state.retryCountdown = setInterval(tick, 1000);
}

function stopRetryCountdown() {
  if (state.retryCountdown !== undefined) clearInterval(state.retryCountdown);
  state.retryCountdown = undefined;
  $("result-detail").removeAttribute("aria-hidden");
}

/** Paid: the result with its short reference and time, and the receipt at once (the full one replaces it when read). */
function showPaid(claim, approved) {
  const paidAt = Date.now();
  const reference = referenceOf(approved);
  showResult("ok", t("approvedTitle"), `${t("approvedDetail", { store: claim.storeName })} ${t("approvedWhen", { reference, time: formatTime(language, paidAt) })}`, approved.amount);
  const known = { paymentId: approved.paymentId, storeName: claim.storeName, registerName: claim.registerName || claim.registerId, amount: approved.amount, state: "approved", createdAt: paidAt, approvedAt: paidAt, reference: approved.reference, lines: [], refunds: [] };
  renderReceipt($("result-receipt"), known, { heading: true });
  get(`${WALLET_PAYMENTS}/${encodeURIComponent(approved.paymentId)}`).then((answer) => {
    if (answer.ok && state.claim === claim && !$("step-result").hidden) renderReceipt($("result-receipt"), answer.value, { heading: true });
  });
}

function renderReceipt(container, receipt, options) {
  container.replaceChildren(receiptElement(receiptRows(language, receipt), t, options));
  container.hidden = false;
}

function showResult(kind, title, detail, amount) {
  stopCountdown();
  $("result-receipt").hidden = true;
  $("result-receipt").replaceChildren();
  $("result-spoken").textContent = "";
  $("result").className = `result ${kind}`;
  $("result-icon").textContent = { ok: "✓", declined: "✗", expired: "⏱", locked: "🔒", info: "ℹ" }[kind] ?? "";
  $("result-title").textContent = title;
  $("result-amount").textContent = amount === undefined ? "" : formatAmount(language, amount);
  $("result-detail").textContent = detail;
  show("step-result");
}

function startOver({ focus = false } = {}) {
  state.claim = undefined;
  setDigits("");
  show(credential() === "" ? "step-phone" : "step-code", { focus });
}

// --- the wallet ----------------------------------------------------------------------------
const WALLET_PAYMENTS = "/wallet/payments";

async function openWallet({ focusPaymentId } = {}) {
  state.claim = undefined;
  show("step-wallet", { focus: focusPaymentId === undefined });
  $("wallet-status").textContent = t("loading");
  $("wallet-balances").replaceChildren();
  $("history").replaceChildren();
  $("history-more").hidden = true;
  const [wallet, page] = await Promise.all([get("/wallet"), get(`${WALLET_PAYMENTS}?limit=${HISTORY_PAGE_ROWS}`)]);
  if (wallet.code === "SUBSCRIBER_UNKNOWN" || page.code === "SUBSCRIBER_UNKNOWN") return showOutcome("SUBSCRIBER_UNKNOWN");
  if (!wallet.ok || !page.ok) return ($("wallet-status").textContent = t("walletFailed"));
  const balances = wallet.value.balances.map((balance) => Object.assign(document.createElement("li"), { textContent: formatAmount(language, balance) }));
  $("wallet-balances").replaceChildren(...(balances.length > 0 ? balances : [Object.assign(document.createElement("li"), { textContent: t("noBalance") })]));
  appendHistory(page.value);
  $("wallet-status").textContent = page.value.payments.length === 0 ? t("historyEmpty") : "";
  if (focusPaymentId !== undefined) ($(`history`).querySelector(`[data-payment-id="${CSS.escape(focusPaymentId)}"]`) ?? $("wallet-title")).focus();
}

const HISTORY_PAGE_ROWS = 10;

function appendHistory(page) {
  const items = page.payments.map((payment) => historyItem(historyRow(language, payment), openReceipt));
  $("history").append(...items);
  state.historyNext = page.next;
  $("history-more").hidden = page.next === undefined;
  return items;
}

async function onHistoryMore() {
  if (state.busy || state.historyNext === undefined) return;
  setBusy(true);
  const page = await get(`${WALLET_PAYMENTS}?limit=${HISTORY_PAGE_ROWS}&before=${encodeURIComponent(state.historyNext)}`);
  setBusy(false);
  if (!page.ok) return ($("wallet-status").textContent = t("walletFailed"));
  const added = appendHistory(page.value);
  // Keyboard users continue at the first older payment, not back at the top.
  added[0]?.querySelector("button")?.focus();
  if (added.length === 0) $("history-more").focus();
}

async function openReceipt(paymentId) {
  state.openedPaymentId = paymentId;
  show("step-receipt");
  $("receipt-body").replaceChildren();
  $("receipt-status").textContent = t("loading");
  const answer = await get(`${WALLET_PAYMENTS}/${encodeURIComponent(paymentId)}`);
  if (state.openedPaymentId !== paymentId || $("step-receipt").hidden) return;
  if (!answer.ok) return ($("receipt-status").textContent = t("receiptFailed"));
  $("receipt-status").textContent = "";
  renderReceipt($("receipt-body"), answer.value);
}

// --- wiring --------------------------------------------------------------------------------
function translatePage() {
  document.title = t("title");
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll("[data-i18n-label]")) element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  $(`lang-${language}`).setAttribute("aria-current", "true");
}

function wire() {
  $("phone-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("phone-credential").value.trim();
    if (value === "") return announceOnPhoneStep(t("phoneMissing"));
    sessionStorage.setItem(CREDENTIAL_KEY, value);
    $("phone-credential").value = "";
    $("phone-error")?.remove();
    startOver();
  });
  $("code-input").addEventListener("input", (event) => setDigits(event.target.value));
  $("code-form").addEventListener("submit", onCodeSubmit);
  document.querySelector(".keypad").addEventListener("click", onKeypad);
  $("approve-form").addEventListener("submit", onApprove);
  $("decline").addEventListener("click", onDecline);
  $("again").addEventListener("click", () => startOver());
  $("nav-pay").addEventListener("click", () => startOver({ focus: true }));
  $("nav-wallet").addEventListener("click", () => openWallet());
  $("history-more").addEventListener("click", onHistoryMore);
  $("receipt-back").addEventListener("click", () => openWallet({ focusPaymentId: state.openedPaymentId }));
}

takeCredentialFromFragment();
translatePage();
wire();
renderCode();
show(credential() === "" ? "step-phone" : "step-code", { focus: false });
