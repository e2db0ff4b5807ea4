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
    expect(renderScreen({ storeName: "S", linkUp: true, payment: declined }, now)[1]).toBe("INSUFFICIENT_FUNDS  ");
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
