// DOM for the wallet: a receipt and a history row, built from wallet-format.js's rows. Text goes in
// with textContent only (store names and receipt lines come from registers: never parsed as HTML).

function element(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className !== undefined) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attributes ?? {})) node.setAttribute(name, value);
  for (const child of children) if (child !== undefined) node.append(child);
  return node;
}

function summaryRow(term, value, className) {
  return element("div", {}, [element("dt", { text: term }), element("dd", { text: value, ...(className !== undefined ? { className } : {}) })]);
}

/**
 * The receipt: names, time, the register's lines with the total, how it was paid, the short
 * reference (the full one and the payment id in small print, for support), refunds.
 * `heading`: an h2 "Receipt" first, when the receipt sits under another h1 (the Paid screen).
 */
export function receiptElement(rows, t, { heading = false } = {}) {
  const items = element("tbody", {}, rows.lines.map((line) =>
    element("tr", { className: line.amount === undefined ? "note" : "" }, [
      element("td", { text: line.text, ...(line.amount === undefined ? { attributes: { colspan: "2" } } : {}) }),
      line.amount === undefined ? undefined : element("td", { text: line.amount, className: "money" }),
    ]),
  ));
  const table = element("table", { className: "lines" }, [
    element("caption", { text: t("items"), className: "visually-hidden" }),
    element("thead", { className: "visually-hidden" }, [element("tr", {}, [element("th", { text: t("items"), attributes: { scope: "col" } }), element("th", { text: t("amount"), attributes: { scope: "col" } })])]),
    items,
    element("tfoot", {}, [element("tr", {}, [element("th", { text: t("total"), attributes: { scope: "row" } }), element("td", { text: rows.total, className: "money" })])]),
  ]);
  const refunds = rows.refunds.length === 0 ? undefined : element("div", { className: "refunds" }, [
    element("h3", { text: t("refundsTitle") }),
    element("ul", {}, rows.refunds.map((refund) => element("li", { text: `${refund.label} ${refund.amount} · ${refund.time}` }))),
  ]);
  return element("article", { className: "receipt-card", attributes: { "aria-label": t("receiptTitle") } }, [
    heading ? element("h2", { text: t("receiptTitle") }) : undefined,
    element("dl", { className: "summary" }, [summaryRow(t("store"), rows.store), summaryRow(t("register"), rows.register), summaryRow(t("time"), rows.time)]),
    table,
    element("dl", { className: "summary" }, [
      summaryRow(t("status"), rows.state),
      summaryRow(t("paidWith"), rows.paidWith),
      rows.reference === undefined ? undefined : summaryRow(t("reference"), rows.reference, "reference"),
    ]),
    refunds,
    element("p", { className: "small-print" }, [
      rows.fullReference === undefined ? undefined : element("span", { text: `${t("fullReference")}: ${rows.fullReference}` }),
      element("span", { text: `${t("paymentNumber")}: ${rows.paymentId}` }),
    ]),
  ]);
}

/** One payment in the history: a button whose name says store, amount, time and state. */
export function historyItem(row, onOpen) {
  const button = element("button", { className: "history-item", attributes: { type: "button", "data-payment-id": row.paymentId } }, [
    element("span", { text: row.store, className: "history-store" }),
    element("span", { text: row.amount, className: "history-amount" }),
    element("span", { text: row.time, className: "history-time" }),
    element("span", { text: row.stateText, className: `history-state state-${row.state}` }),
  ]);
  button.addEventListener("click", () => onOpen(row.paymentId));
  return element("li", {}, [button]);
}
