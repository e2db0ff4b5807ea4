/** The wallet's pure pieces: the history cursor, receipt lines as stored, payments and refunds as the phone sees them. */
import { describe, expect, it } from "vitest";
import { WalletPaymentSchema, WalletReceiptSchema } from "@codepay/contract";
import type { WalletPaymentRow, WalletReversalRow } from "../../src/db/repositories/wallet.js";
import { decodeWalletCursor, encodeWalletCursor, receiptLinesOf, toWalletPayment, toWalletReceipt } from "../../src/shopper-api/wallet-views.js";

const row: WalletPaymentRow = {
  paymentId: "pay-0001-abcd",
  storeId: "demo-store",
  storeName: "Demo Store",
  registerId: "demo-reg-1",
  registerName: "Register 1",
  amountMinor: 500,
  currency: "JPY",
  state: "approved",
  createdAt: 1_900_000_000_000,
  reference: "4f2a91c3-0b1e-4c7d-9a55-2f6e8d1b3a70",
  approvedAt: 1_900_000_001_000,
  linesJson: JSON.stringify([{ text: "Tea", amountMinor: 500 }, { text: "Thanks" }]),
  tender: "code",
  cardLast4: null,
};

const refund = (paymentId: string, amountMinor: number, createdAt: number): WalletReversalRow => ({ paymentId, kind: "refund", amountMinor, currency: "JPY", createdAt });

describe("wallet cursor", () => {
  it("round-trips a page key", () => {
    const key = { createdAt: 1_900_000_000_123, paymentId: "pay_01-XYZ" };
    expect(decodeWalletCursor(encodeWalletCursor(key))).toEqual(key);
  });

  it("refuses what this server did not make", () => {
    for (const text of ["", "123", "123.", ".pay-0001", "12a.pay-00001", "123.short", "123.pay 0001 x", `${"9".repeat(16)}.pay-00001`]) {
      expect(decodeWalletCursor(Buffer.from(text).toString("base64url")), text).toBeUndefined();
    }
    expect(decodeWalletCursor("%%%")).toBeUndefined();
  });
});

describe("receipt lines as stored", () => {
  it("parses the stored JSON, and has none for NULL or for anything that is not receipt lines", () => {
    expect(receiptLinesOf(row.linesJson)).toEqual([{ text: "Tea", amountMinor: 500 }, { text: "Thanks" }]);
    expect(receiptLinesOf(null)).toEqual([]);
    expect(receiptLinesOf("{not json")).toEqual([]);
    expect(receiptLinesOf(JSON.stringify([{ price: 3 }]))).toEqual([]);
  });
});

describe("payments as the phone sees them", () => {
  it("names store and register, shortens the reference and sums only its own refunds", () => {
    const payment = toWalletPayment(row, [refund(row.paymentId, 100, 1), refund("other-payment", 999, 2), refund(row.paymentId, 50, 3)]);
    expect(WalletPaymentSchema.parse(payment)).toEqual(payment);
    expect(payment).toMatchObject({ storeName: "Demo Store", registerName: "Register 1", shortReference: "4F2A-91C3", approvedAt: row.approvedAt, refundedMinor: 150 });
    expect(payment.refunds.map((r) => r.at)).toEqual([1, 3]);
  });

  it("leaves out reference and approval time for a payment that never settled", () => {
    const declined = toWalletPayment({ ...row, state: "declined", reference: null, approvedAt: null }, []);
    expect(declined).not.toHaveProperty("reference");
    expect(declined).not.toHaveProperty("shortReference");
    expect(declined).not.toHaveProperty("approvedAt");
    expect(declined.refundedMinor).toBe(0);
  });

  it("builds the receipt with the register's lines and at most the card's last 4 digits", () => {
    const receipt = toWalletReceipt({ ...row, tender: "card", cardLast4: "4242" }, []);
    expect(WalletReceiptSchema.parse(receipt)).toEqual(receipt);
    expect(receipt).toMatchObject({ lines: [{ text: "Tea", amountMinor: 500 }, { text: "Thanks" }], tender: "card", cardLast4: "4242", registerId: "demo-reg-1" });
    expect(toWalletReceipt(row, [])).not.toHaveProperty("cardLast4");
  });
});
