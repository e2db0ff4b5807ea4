/**
 * Issue 17, item 4: a refund or void moves money, so it prints a slip and shows on the pole display,
 * with the cashier's reason. The whole system runs (server, agent, simulated printer and display on
 * loopback TCP); the slips are read off the simulated printer's decoded output.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SimPhone } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";
import { startInProcessSystem, type InProcessSystem } from "../helpers/in-process-system.js";

describe("refund and void slips through the whole system", () => {
  let system: InProcessSystem;

  beforeAll(async () => {
    system = await startInProcessSystem({ transport: "tcp" });
  });

  afterAll(async () => {
    await system?.stop();
  });

  test("a refund with a reason prints a REFUND slip and shows REFUNDED; the void of the rest prints a VOID slip and shows VOIDED", async () => {
    const { paymentId, code } = await system.startPayment(1_200);
    const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
    expect(await phone.claim(code)).toMatchObject({ ok: true });
    expect(await phone.approve(paymentId)).toMatchObject({ ok: true });
    await pollUntil("the receipt counted printed", async () => ((await system.payment(paymentId)).receiptPrinted ? true : undefined));

    // A copy of the receipt on request: its own print job, marked REPRINT (issue 17, item 5).
    expect((await system.cashier(`/v1/payments/${paymentId}/reprint`, {})).status).toBe(202);
    const copy = await pollUntil("the receipt copy", () => system.devices.printer.snapshot().receipts.find((r) => r.text.includes("*** REPRINT ***") && r.text.includes(paymentId) && r.cut));
    expect(copy.text).toMatch(/TOTAL +JPY 1200/);
    expect(copy.drawerKicks).toBe(0);
    expect((await system.cashier("/v1/payments/no-such-payment-1/reprint", {})).status).toBe(404);

    const refund = await system.cashier(`/v1/payments/${paymentId}/refunds`, { refundId: "slip-refund-0001", amountMinor: 300, reason: "damaged box" });
    expect(refund.status).toBe(201);
    expect(refund.body.payment).toMatchObject({ refundedMinor: 300, refunds: [{ refundId: "slip-refund-0001", state: "done", note: "damaged box" }] });
    const refundSlip = await pollUntil("the refund slip", () => system.devices.printer.snapshot().receipts.find((r) => r.text.includes("REFUND slip-refund-0001") && r.cut));
    expect(refundSlip.text).toContain(`PAYMENT\n${paymentId}`);
    expect(refundSlip.text).toMatch(/REFUNDED +JPY -300/);
    expect(refundSlip.text).toContain("REASON damaged box");
    expect(refundSlip.drawerKicks).toBe(0);
    await pollUntil("REFUNDED on the display", () => (system.devices.display.snapshot().lines[0]?.startsWith("REFUNDED") ? true : undefined));
    expect(system.devices.display.snapshot().lines[1]?.trim()).toBe("JPY 300");

    // The same refund id again: the same refund, no second slip.
    expect((await system.cashier(`/v1/payments/${paymentId}/refunds`, { refundId: "slip-refund-0001", amountMinor: 300, reason: "damaged box" })).status).toBe(201);

    // A reason that is not a short text is refused before anything moves.
    expect((await system.cashier(`/v1/payments/${paymentId}/void`, { reason: "x".repeat(61) })).status).toBe(400);

    const voided = await system.cashier(`/v1/payments/${paymentId}/void`, { reason: "wrong item" });
    expect(voided.status).toBe(200);
    expect(voided.body.payment).toMatchObject({ state: "voided", voidNote: "wrong item" });
    const voidSlip = await pollUntil("the void slip", () => system.devices.printer.snapshot().receipts.find((r) => /^\s*VOID\s*$/m.test(r.text) && r.text.includes(paymentId) && r.cut));
    expect(voidSlip.text).toMatch(/VOIDED +JPY -900/);
    expect(voidSlip.text).toContain("REASON wrong item");
    await pollUntil("VOIDED on the display", () => (system.devices.display.snapshot().lines[0]?.startsWith("VOIDED") ? true : undefined));

    const slips = system.devices.printer.snapshot().receipts.filter((r) => r.text.includes(paymentId) && /REFUNDED|VOIDED/.test(r.text));
    expect(slips).toHaveLength(2);
  });
});
