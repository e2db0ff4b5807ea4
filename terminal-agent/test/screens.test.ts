import { describe, expect, it } from "vitest";
import type { Payment } from "../src/core/payment.js";
import { countdown, leftRight, renderScreen } from "../src/core/screens.js";

const now = 1_700_000_000_000;
const issued: Payment = {
  paymentId: "pay-00000001",
  state: "issued",
  amount: { minor: 1200, currency: "JPY" },
  lines: [],
  createRequestId: "req-1",
  code: "4829137",
  expiresAt: now + 119_000,
  receiptPrinted: false,
  cancelRequested: false,
  refunds: [],
  createdAt: now,
  updatedAt: now,
};

describe("screens", () => {
  it("shows TOTAL and the amount on line 1, the grouped code and the countdown on line 2", () => {
    expect(renderScreen({ storeName: "Demo Store", linkUp: true, payment: issued }, now)).toEqual(["TOTAL       JPY 1200", "CODE 482 9137   1:59"]);
  });

  it("after the server renewed the code, line 1 says NEW CODE (English and Katakana) until the payment ends; line 2 keeps the code", () => {
    const renewed = { ...issued, code: "7654321", codeRenewed: true };
    expect(renderScreen({ storeName: "Demo Store", linkUp: true, payment: renewed }, now)).toEqual(["NEW CODE    JPY 1200", "CODE 765 4321   1:59"]);
    const [line1, line2] = renderScreen({ storeName: "Demo Store", linkUp: true, payment: renewed, language: "ja" }, now);
    expect(line1.startsWith("ｱﾀﾗｼｲ ｺｰﾄﾞ")).toBe(true);
    expect(line1.length).toBe(20);
    expect(line2).toContain("765 4321");
  });

  it("a refund just confirmed shows REFUNDED and the amount back for the final-screen hold, then the idle screen", () => {
    const refunded = { ...issued, state: "approved" as const, updatedAt: now, refunds: [{ refundId: "r-1", amountMinor: 300, state: "done" as const, requestId: "q-1", doneAt: now }] };
    expect(renderScreen({ storeName: "Demo Store", linkUp: true, payment: refunded }, now + 1_000)).toEqual(["REFUNDED            ", "JPY 300             "]);
    expect(renderScreen({ storeName: "Demo Store", linkUp: true, payment: refunded }, now + 60_000)[1]).toBe("PAY WITH CODE PAY   ");
  });

  it("long codes (a chain's server issues 8-12 digits) stay whole on a 2x20 display, with a whole countdown or none", () => {
    const screen = (code: string, expiresInMs = 119_000, amount = issued.amount, language?: "ja") =>
      renderScreen({ storeName: "S", linkUp: true, payment: { ...issued, code, amount, expiresAt: now + expiresInMs }, language }, now);
    // 8 digits: still the usual layout, also with a 60-minute TTL.
    expect(screen("48291370")).toEqual(["TOTAL       JPY 1200", "CODE 4829 1370  1:59"]);
    expect(screen("48291370", 3_600_000)).toEqual(["TOTAL       JPY 1200", "CODE 4829 1370 60:00"]);
    // 9-12 digits: three groups on line 2; the countdown moves beside the amount.
    expect(screen("482913705")).toEqual(["JPY 1200        1:59", "CODE 482 913 705    "]);
    expect(screen("4829137051")).toEqual(["JPY 1200        1:59", "CODE 482 913 7051   "]);
    expect(screen("482913705123")).toEqual(["JPY 1200        1:59", "CODE 4829 1370 5123 "]);
    expect(screen("4829137051", 119_000, undefined, "ja")[1]).toBe("ｺｰﾄﾞ 482 913 7051   ");
    // An amount too long to share line 1: no countdown at all rather than a cut one.
    const big = { minor: 123_456_789_012, currency: "EUR" } as const;
    const [line1, line2] = screen("4829137051", 119_000, big);
    expect(line1).toMatch(/^TOTAL +EUR /);
    expect(line1).not.toMatch(/\d:\d\d$/);
    expect(line2).toBe("CODE 482 913 7051   ");
    // Every code length the server issues: 20 cells a line, the code whole, any countdown whole.
    for (let length = 7; length <= 12; length += 1) {
      const code = "4829137051234".slice(0, length);
      for (const expiresInMs of [1_000, 119_000, 3_600_000]) {
        const lines = screen(code, expiresInMs);
        expect(lines.map((line) => line.length)).toEqual([20, 20]);
        expect(lines[1].replace(/^CODE /, "").replace(/ +\d+:\d\d *$/, "").replaceAll(" ", "").trim()).toBe(code);
        expect(lines.join("|")).toContain(countdown(now + expiresInMs, now));
      }
    }
  });

  it("counts down in m:ss, rounding up, and stops at 0:00", () => {
    expect(countdown(now + 120_000, now)).toBe("2:00");
    expect(countdown(now + 60_500, now)).toBe("1:01");
    expect(countdown(now + 1, now)).toBe("0:01");
    expect(countdown(now - 5_000, now)).toBe("0:00");
  });

  it("shows idle, line down, and final screens per the contract", () => {
    expect(renderScreen({ storeName: "Demo Store", linkUp: true }, now)).toEqual(["WELCOME Demo Store  ", "PAY WITH CODE PAY   "]);
    expect(renderScreen({ storeName: "Demo Store", linkUp: false }, now)).toEqual(["MOBILE PAY          ", "UNAVAILABLE         "]);
    const approved: Payment = { ...issued, state: "approved", updatedAt: now };
    expect(renderScreen({ storeName: "S", linkUp: true, payment: approved }, now + 1_000)).toEqual(["APPROVED            ", "JPY 1200            "]);
    const declined: Payment = { ...issued, state: "declined", reason: "INSUFFICIENT_FUNDS", updatedAt: now };
    expect(renderScreen({ storeName: "S", linkUp: true, payment: declined }, now)[1]).toBe("NOT ENOUGH BALANCE  ");
    // Declined on the phone (no reason) reads differently from declined for funds; never a raw code.
    const byShopper: Payment = { ...issued, state: "declined", updatedAt: now };
    expect(renderScreen({ storeName: "S", linkUp: true, payment: byShopper }, now)[1]).toBe("DECLINED ON PHONE   ");
    expect(renderScreen({ storeName: "S", linkUp: true, payment: declined, language: "ja" }, now)[1]).toBe("ｻﾞﾝﾀﾞｶ ﾌｿｸ          ");
    const odd: Payment = { ...issued, state: "failed", reason: "IDEMPOTENCY_MISMATCH", updatedAt: now };
    expect(renderScreen({ storeName: "S", linkUp: true, payment: odd }, now)[1]).toBe("PLEASE ASK CASHIER  ");
    expect(renderScreen({ storeName: "S", linkUp: true, payment: { ...issued, state: "expired" } }, now)[0]).toBe("CODE EXPIRED        ");
    expect(renderScreen({ storeName: "S", linkUp: true, payment: { ...issued, state: "cancelled" } }, now)[0]).toBe("CANCELLED           ");
    // after the hold the idle screen returns
    expect(renderScreen({ storeName: "S", linkUp: true, payment: approved }, now + 60_000)[1]).toBe("PAY WITH CODE PAY   ");
  });

  it("keeps an issued code on screen while the line is down (the phone talks to the server)", () => {
    expect(renderScreen({ storeName: "S", linkUp: false, payment: issued }, now)[1]).toMatch(/^CODE 482 9137/);
  });

  it("fits every line to exactly 20 cells", () => {
    expect(leftRight("TOTAL", "EUR 123456789012.34")).toHaveLength(20);
    expect(renderScreen({ storeName: "A very long store name indeed", linkUp: true }, now)[0]).toHaveLength(20);
  });
});
