/**
 * One code payment end to end, through every real part:
 *   a real aedes broker over TCP loopback, real mqtt.js, a real SQLite file, the agent's real
 *   serialport streams into the simulated devices over OS pseudo-terminals (socat pairs), and a
 *   phone over real HTTP through the carrier gateway.
 * The code is read off the decoded pole-display screen and the receipt off the decoded printer bytes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { balances, listPayments } from "@codepay/sync-server";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { dammCheckDigit } from "@codepay/contract";
import { pollUntil } from "../helpers/poll-until.js";
import { startInProcessSystem, type InProcessSystem } from "../helpers/in-process-system.js";

type RunningSystem = InProcessSystem & { phone: SimPhone };

const hasSocat = requireToolOrSkip("socat", "end-to-end tests over pseudo-terminals");

async function startSystem(codeTtlMs: number): Promise<RunningSystem> {
  const system = await startInProcessSystem({ transport: "pty", codeTtlMs });
  const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
  return { ...system, phone };
}

function displayLines(system: RunningSystem): readonly string[] {
  return system.devices.display.snapshot().lines;
}

async function balanceOf(dataDir: string, kind: string, ownerId: string): Promise<number> {
  const all = await balances({ dataDir });
  return all.accounts.find((a) => a.kind === kind && a.ownerId === ownerId && a.currency === "JPY")?.balanceMinor ?? 0;
}

describe.skipIf(!hasSocat)("a code payment end to end over real parts", () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem(120_000);
  });

  afterAll(async () => {
    await system?.stop();
  });

  test("the register shows the code, the phone approves, the ledger moves by the amount, the receipt prints", async () => {
    const storeBefore = await balanceOf(system.dataDir, "store", "demo-store");
    const userBefore = await balanceOf(system.dataDir, "user", "demo-user");

    const { paymentId, code } = await system.startPayment(1200);

    // The code on the decoded display is the one the server issued for this payment.
    const onServer = (await listPayments({ dataDir: system.dataDir })).payments.find((p) => p.paymentId === paymentId);
    expect(onServer?.code).toBe(code);
    expect(displayLines(system)[0]).toMatch(/^TOTAL\s+JPY 1200$/);

    const claim = await system.phone.claim(code);
    expect(claim).toMatchObject({ ok: true, value: { paymentId, storeName: "Demo Store", amount: { minor: 1200, currency: "JPY" } } });

    const approval = await system.phone.approve(paymentId);
    expect(approval).toMatchObject({ ok: true, value: { state: "approved", amount: { minor: 1200, currency: "JPY" } } });

    const final = await pollUntil("the approved payment with its receipt printed", async () => {
      const view = await system.payment(paymentId);
      return view.state === "approved" && view.receiptPrinted ? view : undefined;
    });
    expect(final.amount).toEqual({ minor: 1200, currency: "JPY" });

    // The receipt decoded from the printer's bytes names this payment and shows the amount.
    // The drawer kick is its own job in the print queue, sent once the printer has answered for the receipt.
    const receipt = await pollUntil("the receipt on the simulated printer, and its drawer kick", () =>
      system.devices.printer.snapshot().receipts.find((r) => r.text.includes(paymentId) && r.cut && r.drawerKicks > 0),
    );
    expect(receipt.text).toMatch(/TOTAL\s+JPY 1200/);
    expect(receipt.qr).toContain(paymentId);
    expect(receipt.drawerKicks).toBe(1);
    expect(displayLines(system)[0]).toContain("APPROVED");

    // The ledger moved by exactly the amount, and every currency still sums to zero.
    expect(await balanceOf(system.dataDir, "store", "demo-store")).toBe(storeBefore + 1200);
    expect(await balanceOf(system.dataDir, "user", "demo-user")).toBe(userBefore - 1200);
    const totals = (await balances({ dataDir: system.dataDir })).totals;
    for (const sum of Object.values(totals)) expect(sum).toBe(0);

    // A second approval is refused and moves nothing.
    const again = await system.phone.approve(paymentId);
    expect(again).toMatchObject({ ok: false, code: "PAYMENT_SETTLED" });
    expect(await balanceOf(system.dataDir, "store", "demo-store")).toBe(storeBefore + 1200);
    // Still exactly one receipt for this payment.
    expect(system.devices.printer.snapshot().receipts.filter((r) => r.text.includes(paymentId))).toHaveLength(1);
  });

  test("a cancelled payment is refused to the phone and moves no money", async () => {
    const storeBefore = await balanceOf(system.dataDir, "store", "demo-store");
    const { paymentId, code } = await system.startPayment(800);

    const cancelled = await system.cashier(`/v1/payments/${paymentId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    await pollUntil("the cancelled state at the register", async () =>
      (await system.payment(paymentId)).state === "cancelled" ? true : undefined,
    );
    await pollUntil("CANCELLED on the pole display", () => (displayLines(system)[0]?.includes("CANCELLED") ? true : undefined));

    const claim = await system.phone.claim(code);
    expect(claim).toMatchObject({ ok: false, code: "PAYMENT_CANCELLED" });
    expect(await balanceOf(system.dataDir, "store", "demo-store")).toBe(storeBefore);
  });

  test("a wrong code is refused: a typo by its check digit, an unknown code by the server", async () => {
    const { paymentId, code } = await system.startPayment(500);
    const lastDigit = Number(code.at(-1));
    const typo = code.slice(0, -1) + String((lastDigit + 1) % 10);
    expect(await system.phone.claim(typo)).toMatchObject({ ok: false, code: "CODE_CHECK_DIGIT" });
    // A well-formed code (valid check digit) that no payment holds.
    const unknown = ["100000", "200000", "300000"].map((digits) => digits + String(dammCheckDigit(digits))).find((c) => c !== code)!;
    expect(await system.phone.claim(unknown)).toMatchObject({ ok: false, code: "CODE_NOT_FOUND" });
    await system.cashier(`/v1/payments/${paymentId}/cancel`, {});
  });
});

describe.skipIf(!hasSocat)("an expired code end to end", () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem(1_500);
  });

  afterAll(async () => {
    await system?.stop();
  });

  test("the register is told the code expired, and the phone is refused", async () => {
    const storeBefore = await balanceOf(system.dataDir, "store", "demo-store");
    const { paymentId, code } = await system.startPayment(300);
    await pollUntil("the expired state at the register", async () =>
      (await system.payment(paymentId)).state === "expired" ? true : undefined,
    );
    await pollUntil("CODE EXPIRED on the pole display", () => (displayLines(system).join(" ").includes("EXPIRED") ? true : undefined));
    const claim = await system.phone.claim(code);
    expect(claim).toMatchObject({ ok: false, code: "CODE_EXPIRED" });
    expect(await balanceOf(system.dataDir, "store", "demo-store")).toBe(storeBefore);
  });
});
