// The technician dashboard: draws what the simulated devices show (pushed as server-sent events)
// and drives them through the control API.
import { qrSvg } from "./qr-drawing.js";

const $ = (id) => document.getElementById(id);
const DISPLAY_COLUMNS = 20;
const DEVICE_NAMES = { display: "display", printer: "printer", cardReader: "card reader" };
let current;

function element(tag, properties = {}, children = []) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

// --- pole display: a 2x20 vacuum fluorescent display, one cell per character --------------
function renderDisplay(display, plugged) {
  display.lines.forEach((line, row) => {
    const cells = [...line.padEnd(DISPLAY_COLUMNS).slice(0, DISPLAY_COLUMNS)].map((character) =>
      element("span", { className: "cell", textContent: character }));
    $(`vfd-line-${row}`).replaceChildren(...cells);
  });
  const vfd = $("vfd");
  vfd.dataset.brightness = String(display.brightness);
  vfd.classList.toggle("off", !plugged);
  vfd.setAttribute("aria-label", `Pole display: ${display.lines.map((line) => line.trim()).join(" / ")}`);
}

// --- receipt roll --------------------------------------------------------------------------
function receiptLine(line) {
  const node = element("div", { className: `line align-${line.align}`, textContent: line.text === "" ? " " : line.text });
  if (line.bold) node.classList.add("bold");
  if (line.size.width > 1 || line.size.height > 1) node.style.fontSize = `${Math.max(line.size.width, line.size.height)}em`;
  return node;
}

function receiptQr(qr) {
  if (qr.rows === undefined) return element("div", { className: "qr-text" }, [element("span", { textContent: "QR" }), element("code", { textContent: qr.payload })]);
  return element("figure", { className: "qr-figure" }, [qrSvg(qr.rows, `QR code: ${qr.payload}`), element("figcaption", { textContent: qr.payload })]);
}

function receiptNode(receipt, label) {
  const paper = element("article", { className: `receipt${receipt.cut ? "" : " printing"}` });
  paper.setAttribute("aria-label", label);
  paper.append(...receipt.lines.map(receiptLine), ...receipt.qr.map(receiptQr));
  if (receipt.cut) paper.append(element("div", { className: "cut", textContent: "✂ cut" }));
  return paper;
}

function renderReceipts(printer) {
  const papers = [];
  if (printer.printing !== undefined) papers.push(receiptNode(printer.printing, "Receipt being printed"));
  printer.receipts.forEach((receipt, index) => papers.push(receiptNode(receipt, index === 0 ? "Latest receipt" : `Receipt ${index + 1} back`)));
  if (papers.length === 0) papers.push(element("p", { className: "explain", textContent: "No receipt printed yet." }));
  $("receipts").replaceChildren(...papers);
  $("receipt-count").textContent = `(${printer.receiptsTotal} printed)`;
  // A switch the technician just flipped keeps its state until the printer has it (a state event may cross the request).
  for (const box of document.querySelectorAll("[data-fault]:not([data-pending])")) box.checked = printer.faults[box.dataset.fault] === true;
}

function renderDrawer(drawer) {
  $("drawer").classList.toggle("open", drawer.open);
  $("drawer-state").textContent = `${drawer.open ? "open" : "closed"} · kicked ${drawer.kicks} time${drawer.kicks === 1 ? "" : "s"}`;
  $("drawer-close").hidden = !drawer.open;
}

// --- devices, phone, log -------------------------------------------------------------------
function renderPlugs(plugged) {
  for (const [key, isPlugged] of Object.entries(plugged)) {
    $(`${key}-plug`).textContent = isPlugged ? "" : "(unplugged)";
    const button = document.querySelector(`[data-cable="${key}"]`);
    button.textContent = `${isPlugged ? "Unplug" : "Plug in"} ${DEVICE_NAMES[key]}`;
    button.setAttribute("aria-pressed", String(!isPlugged));
  }
}

function renderPhone(phone) {
  $("phone-pay").disabled = !phone.available;
  $("phone-unavailable").hidden = phone.available;
  const link = $("shopper-link");
  link.hidden = phone.shopperPageUrl === undefined;
  if (phone.shopperPageUrl !== undefined) link.href = phone.shopperPageUrl;
}

function renderLog(log) {
  const items = log.slice().reverse().map((entry) => {
    const time = new Date(entry.atMs).toLocaleTimeString("en-GB", { hour12: false });
    return element("li", { className: entry.level }, [
      element("time", { dateTime: new Date(entry.atMs).toISOString(), textContent: time }),
      element("span", { className: `source source-${entry.source}`, textContent: entry.source }),
      element("span", { className: "text", textContent: entry.text }),
    ]);
  });
  $("log").replaceChildren(...items);
}

function render(state) {
  current = state;
  renderDisplay(state.display, state.plugged.display);
  renderReceipts(state.printer);
  renderDrawer(state.drawer);
  renderPlugs(state.plugged);
  renderPhone(state.phone);
  renderLog(state.log);
}

// --- controls ------------------------------------------------------------------------------
async function post(path, body) {
  try {
    const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
    const json = await response.json().catch(() => ({}));
    return response.ok ? { ok: true, value: json } : { ok: false, code: json.error?.code ?? `HTTP ${response.status}`, message: json.error?.message ?? "" };
  } catch (error) {
    return { ok: false, code: "NETWORK", message: String(error) };
  }
}

function say(id, text) {
  $(id).textContent = text;
}

async function payCode() {
  const button = $("phone-pay");
  button.disabled = true;
  say("phone-result", "Paying…");
  const result = await post("/api/phone/pay");
  say("phone-result", result.ok
    ? `Approved: code ${result.value.code}, ${result.value.amount.currency} ${result.value.amount.minor}, reference ${result.value.reference}`
    : `Refused: ${result.code}${result.message ? ` (${result.message})` : ""}`);
  button.disabled = current?.phone.available !== true;
}

function wire() {
  $("phone-pay").addEventListener("click", payCode);
  for (const button of document.querySelectorAll("[data-swipe]")) {
    button.addEventListener("click", async () => {
      const result = await post("/api/card-reader/swipe", { card: button.dataset.swipe });
      say("control-result", result.ok ? `Swiped: ${button.textContent}` : `Swipe failed: ${result.code}`);
    });
  }
  for (const box of document.querySelectorAll("[data-fault]")) {
    box.addEventListener("change", async () => {
      box.dataset.pending = "";
      const result = await post("/api/printer/faults", { [box.dataset.fault]: box.checked });
      delete box.dataset.pending;
      say("control-result", result.ok ? `Printer: ${box.parentElement.textContent.trim()} ${box.checked ? "on" : "off"}` : `Printer fault not set: ${result.code}`);
    });
  }
  for (const button of document.querySelectorAll("[data-cable]")) {
    button.addEventListener("click", async () => {
      const key = button.dataset.cable;
      const action = current?.plugged[key] === false ? "replug" : "unplug";
      const result = await post(`/api/devices/${key}/${action}`);
      say("control-result", result.ok ? `${DEVICE_NAMES[key]} ${action === "unplug" ? "unplugged" : "plugged back in"}` : `Could not ${action} the ${DEVICE_NAMES[key]}: ${result.code}`);
    });
  }
  $("drawer-close").addEventListener("click", () => post("/api/drawer/close"));
}

function connect() {
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => say("connection", "live"));
  events.addEventListener("error", () => say("connection", "reconnecting…"));
  events.addEventListener("state", (event) => render(JSON.parse(event.data)));
}

wire();
connect();
