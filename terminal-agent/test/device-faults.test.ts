import { describe, expect, it } from "vitest";
import { deviceFaults, deviceHealth, paymentStartWarnings } from "../src/core/device-faults.js";
import type { Payment } from "../src/core/payment.js";
import { renderScreen } from "../src/core/screens.js";

const up = { line: "online" as const };
const healthyPrinter = { line: "online" as const, paperEnd: false, coverOpen: false, offline: false };

describe("device faults (pure)", () => {
  it("names the printer's cause (paper end before cover open before offline), a line that is down, and nothing for absent devices", () => {
    expect(deviceFaults({ printer: healthyPrinter, cardReader: up, display: up })).toEqual([]);
    expect(deviceFaults({})).toEqual([]);
    const codes = (states: Parameters<typeof deviceFaults>[0]) => deviceFaults(states).map((fault) => `${fault.device}:${fault.code}`);
    expect(codes({ printer: { ...healthyPrinter, paperEnd: true, coverOpen: true, offline: true } })).toEqual(["printer:PRINTER_PAPER_END"]);
    expect(codes({ printer: { ...healthyPrinter, coverOpen: true, offline: true } })).toEqual(["printer:PRINTER_COVER_OPEN"]);
    expect(codes({ printer: { ...healthyPrinter, offline: true } })).toEqual(["printer:PRINTER_OFFLINE"]);
    // The last report of an unplugged printer is stale: the line is what is wrong.
    expect(codes({ printer: { ...healthyPrinter, line: "offline", paperEnd: true }, cardReader: { line: "offline" }, display: { line: "stopped" } })).toEqual(["printer:DEVICE_OFFLINE", "cardReader:DEVICE_OFFLINE"]);
    const [fault] = deviceFaults({ printer: { ...healthyPrinter, paperEnd: true } });
    expect(fault!.words.en).toContain("out of paper");
    expect(fault!.words.ja).toContain("用紙");
  });

  it("warns at payment start about the printer always, the display for a code, the card reader for a card", () => {
    const all = deviceFaults({ printer: { ...healthyPrinter, coverOpen: true }, cardReader: { line: "offline" }, display: { line: "offline" } });
    expect(paymentStartWarnings(all, "code").map((fault) => fault.device)).toEqual(["printer", "display"]);
    expect(paymentStartWarnings(all, "card").map((fault) => fault.device)).toEqual(["printer", "cardReader"]);
  });
});

describe("the pole display says when a device the shopper needs is missing", () => {
  const now = 1_700_000_000_000;
  const base: Payment = { paymentId: "p1", state: "awaiting-card", amount: { minor: 1500, currency: "JPY" }, lines: [], createRequestId: "r1", receiptPrinted: false, cancelRequested: false, refunds: [], createdAt: now, updatedAt: now };
  it("a card payment with the reader unplugged, and an approved payment whose receipt must wait", () => {
    expect(renderScreen({ storeName: "S", linkUp: true, payment: base, devicesMissing: { cardReader: true } }, now)).toEqual(["TOTAL       JPY 1500", "CARD READER OFFLINE "]);
    expect(renderScreen({ storeName: "S", linkUp: true, payment: base, devicesMissing: { cardReader: true }, language: "ja" }, now)[1]).toBe("ｶｰﾄﾞﾘｰﾀﾞｰ ｼﾖｳﾌｶ     ");
    const approved = { ...base, state: "approved" as const };
    expect(renderScreen({ storeName: "S", linkUp: true, payment: approved, devicesMissing: { printer: true } }, now)).toEqual(["APPROVED    JPY 1500", "RECEIPT DELAYED     "]);
    expect(renderScreen({ storeName: "S", linkUp: true, payment: { ...approved, receiptPrinted: true }, devicesMissing: { printer: true } }, now)).toEqual(["APPROVED            ", "JPY 1500            "]);
    expect(renderScreen({ storeName: "S", linkUp: true, payment: approved, devicesMissing: { printer: true }, language: "ja" }, now)).toEqual(["ｼｮｳﾆﾝ ｱﾘｶﾞﾄｳｺﾞｻﾞｲﾏｽ ", "ﾚｼｰﾄ ｵﾏﾁｸﾀﾞｻｲ       "]);
  });
});

describe("device health for the status topic (fleet health, pure)", () => {
  it("reports each configured device: its line, and the printer's own status, most urgent first", () => {
    expect(deviceHealth({})).toEqual({});
    expect(deviceHealth({ printer: healthyPrinter, cardReader: up, display: up })).toEqual({ printer: "online", cardReader: "online", display: "online" });
    expect(deviceHealth({ printer: { ...healthyPrinter, paperNearEnd: true } })).toEqual({ printer: "paper-near-end" });
    expect(deviceHealth({ printer: { ...healthyPrinter, paperNearEnd: true, paperEnd: true, offline: true } })).toEqual({ printer: "paper-end" });
    expect(deviceHealth({ printer: { ...healthyPrinter, coverOpen: true, offline: true } })).toEqual({ printer: "cover-open" });
    expect(deviceHealth({ printer: { ...healthyPrinter, offline: true } })).toEqual({ printer: "offline" });
    // A line that is down says nothing of the printer's last status.
    expect(deviceHealth({ printer: { ...healthyPrinter, line: "offline", paperEnd: true }, display: { line: "stopped" }, cardReader: { line: "offline" } })).toEqual({ printer: "offline", display: "offline", cardReader: "offline" });
  });
});
