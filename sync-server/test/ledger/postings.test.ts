import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { paymentPosting, topUpPosting, type AccountSnapshot } from "../../src/ledger/postings.js";

const shopper = (balanceMinor: number, currency = "JPY"): AccountSnapshot => ({ id: "u", kind: "user", currency, balanceMinor });
const store = (balanceMinor = 0, currency = "JPY"): AccountSnapshot => ({ id: "s", kind: "store", currency, balanceMinor });
const issuance: AccountSnapshot = { id: "sys", kind: "system", currency: "JPY", balanceMinor: -500 };

describe("ledger postings", () => {
  it("moves exactly the amount from shopper to store, summing to zero", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (amount, extra, storeBalance) => {
        const result = paymentPosting(shopper(amount + extra), store(storeBalance), amount, "JPY");
        if (!result.ok) return false;
        const { posting } = result;
        return (
          posting.debitBalanceAfterMinor === extra &&
          posting.creditBalanceAfterMinor === storeBalance + amount &&
          posting.debitBalanceAfterMinor + posting.creditBalanceAfterMinor === amount + extra + storeBalance &&
          !posting.debitMayGoNegative
        );
      }),
    );
  });

  it("refuses an overdraft with INSUFFICIENT_FUNDS", () => {
    expect(paymentPosting(shopper(999), store(), 1_000, "JPY")).toMatchObject({ ok: false, code: "INSUFFICIENT_FUNDS" });
    expect(paymentPosting(shopper(1_000), store(), 1_000, "JPY")).toMatchObject({ ok: true });
  });

  it("refuses a currency mismatch", () => {
    expect(paymentPosting(shopper(10_000, "EUR"), store(), 100, "JPY")).toMatchObject({ ok: false, code: "CURRENCY_MISMATCH" });
    expect(paymentPosting(shopper(10_000), store(0, "EUR"), 100, "JPY")).toMatchObject({ ok: false, code: "CURRENCY_MISMATCH" });
  });

  it("lets only the issuance account go negative on top-up", () => {
    const result = topUpPosting(issuance, shopper(0), 1_000, "JPY");
    expect(result).toMatchObject({ ok: true, posting: { debitBalanceAfterMinor: -1_500, creditBalanceAfterMinor: 1_000, debitMayGoNegative: true } });
  });

  it("asserts on amounts that must never reach it (programmer errors)", () => {
    expect(() => paymentPosting(shopper(10), store(), 0, "JPY")).toThrow(/bad amount/);
    expect(() => paymentPosting(shopper(10), store(), -5, "JPY")).toThrow(/bad amount/);
    expect(() => paymentPosting(shopper(10), store(), 1.5, "JPY")).toThrow(/bad amount/);
    expect(() => paymentPosting(shopper(10), { ...shopper(0) }, 5, "JPY")).toThrow();
  });
});
