/** The refund and void slip's bytes (issue 17): what paper says when money goes back. */
import { describe, expect, it } from "vitest";
import { buildReversalSlip } from "../src/protocols/escpos/reversal-slip.js";

const base = { storeName: "Demo Store", register: "Register 1", printedAt: Date.UTC(2030, 0, 1, 9, 30), paymentId: "pay-00000001", original: { minor: 1_200, currency: "JPY" as const } };

describe("reversal slip", () => {
  it("a refund: heading, original payment and amount, what went back, reason, reference, a cut", () => {
    const bytes = buildReversalSlip({ ...base, kind: "refund", amountMinor: 300, refundId: "refund-0001", reference: "tx-9", note: "damaged box" });
    const text = bytes.toString("latin1");
    for (const expected of ["Demo Store", "REFUND", "2030-01-01 09:30 UTC", "REGISTER Register 1", "PAYMENT pay-00000001", "REFUND refund-0001", "REASON damaged box", "REF tx-9", "SIGNATURE"]) expect(text).toContain(expected);
    expect(text).toMatch(/ORIGINAL +JPY 1200/);
    expect(text).toMatch(/REFUNDED +JPY -300/);
    expect(bytes.includes(Buffer.from("1d5600", "hex"))).toBe(true);
  });

  it("a void says VOID; a reason the slip's code page cannot print is kept as '?' rather than as garbage bytes", () => {
    const text = buildReversalSlip({ ...base, kind: "void", amountMinor: 900, note: "返品 wrong item" }).toString("latin1");
    expect(text).toContain("VOID");
    expect(text).toMatch(/VOIDED +JPY -900/);
    expect(text).toContain("REASON ?? wrong item");
    expect(text).not.toContain("REFUND ");
  });
});
