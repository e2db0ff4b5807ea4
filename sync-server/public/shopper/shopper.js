// The shopper page: type the code off the register's display, see store, register and amount,
// approve (with a PIN when the server asks for one). Calls the shopper API through the carrier
// gateway with relative URLs; the demo phone's credential rides along as a bearer token.
import { codeFeedback, digitsOf, groupDigits } from "./code-entry.js";
import { formatAmount, formatWait, say } from "./messages.js";

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

const state = { digits: "", claim: undefined, busy: false, countdown: undefined };

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
async function post(path, body) {
  let response;
  try {
    response = await fetch(API + path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${credential()}` },
      body: JSON.stringify(body),
    });
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
  for (const id of ["step-phone", "step-code", "step-confirm", "step-result"]) $(id).hidden = id !== step;
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

async function onCodeSubmit(event) {
  event.preventDefault();
  if (state.busy || !codeFeedback(state.digits, codeLengths).submittable) return;
  setBusy(true);
  const result = await post("/claims", { requestId: crypto.randomUUID(), code: state.digits });
  setBusy(false);
  if (result.ok) return showConfirm(result.value);
  if (result.code === "CODE_CHECK_DIGIT") return showError("code-error", t("typoCode"));
  if (result.code === "CODE_NOT_FOUND" || result.code === "PAYMENT_NOT_FOUND") return showError("code-error", t("wrongCode"));
  showOutcome(result.code, result.retryAfterS);
}

// --- confirm and approve -------------------------------------------------------------------
function showConfirm(claim) {
  state.claim = claim;
  $("confirm-store").textContent = claim.storeName;
  $("confirm-register").textContent = claim.registerName || claim.registerId;
  $("confirm-amount").textContent = formatAmount(language, claim.amount);
  $("pin-group").hidden = true;
  $("pin-input").value = "";
  showError("confirm-error", undefined);
  startCountdown(claim.expiresAt);
  show("step-confirm");
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
  const body = pinShown ? { requestId: crypto.randomUUID(), pin } : { requestId: crypto.randomUUID() };
  const result = await post(`/payments/${encodeURIComponent(state.claim.paymentId)}/approve`, body);
  setBusy(false);
  if (result.ok) return showResult("ok", t("approvedTitle"), t("approvedDetail", { store: state.claim.storeName, reference: result.value.reference }), result.value.amount);
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
  const result = await post(`/payments/${encodeURIComponent(state.claim.paymentId)}/decline`, { requestId: crypto.randomUUID() });
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
    // A locked-out shopper is told how long the server said to wait (Retry-After), not "a few minutes".
    const detail = outcome[0] === "locked" && retryAfterS !== undefined ? t("lockedDetailIn", { time: formatWait(language, retryAfterS) }) : t(outcome[2]);
    return showResult(outcome[0], t(outcome[1]), detail, state.claim?.amount);
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

function showResult(kind, title, detail, amount) {
  stopCountdown();
  $("result").className = `result ${kind}`;
  $("result-icon").textContent = { ok: "✓", declined: "✗", expired: "⏱", locked: "🔒", info: "ℹ" }[kind] ?? "";
  $("result-title").textContent = title;
  $("result-amount").textContent = amount === undefined ? "" : formatAmount(language, amount);
  $("result-detail").textContent = detail;
  show("step-result");
}

function startOver() {
  state.claim = undefined;
  setDigits("");
  show(credential() === "" ? "step-phone" : "step-code", { focus: false });
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
  $("again").addEventListener("click", startOver);
}

takeCredentialFromFragment();
translatePage();
wire();
renderCode();
show(credential() === "" ? "step-phone" : "step-code", { focus: false });
