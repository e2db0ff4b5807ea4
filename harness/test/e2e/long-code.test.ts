/**
 * A long payment code end to end (a chain's server issues 9-12 digit codes: SECURITY.md "Guessing,
 * measured"): the agent draws it on the pole display, the simulator decodes the display's bytes with
 * its own decoder and reads the code off line 2, and a phone pays it through the carrier gateway.
 * Devices on loopback TCP, so this runs without socat.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listPayments } from "@codepay/sync-server";
import { SimPhone } from "@codepay/hardware-sim";
import { groupCode } from "@codepay/contract";
import { pollUntil } from "../helpers/poll-until.js";
import { startInProcessSystem, type InProcessSystem } from "../helpers/in-process-system.js";

describe("a 10-digit code on the 2x20 pole display, paid by a phone", () => {
  let system: InProcessSystem;

  beforeAll(async () => {
    // --code-digits 9: the length a server with 1,001-10,000 registers would choose by itself.
    system = await startInProcessSystem({ transport: "tcp", codeTtlMs: 120_000, codeRandomDigits: 9 });
  });

  afterAll(async () => {
    await system?.stop();
  });

  test("the display shows the whole code in three groups and a whole countdown; the phone pays it", async () => {
    const { paymentId, code } = await system.startPayment(1200);
    expect(code).toHaveLength(10);
    const onServer = (await listPayments({ dataDir: system.dataDir })).payments.find((p) => p.paymentId === paymentId);
    expect(onServer?.code).toBe(code);

    const [line1, line2] = system.devices.display.snapshot().lines;
    expect(line2).toBe(`CODE ${groupCode(code)}`.padEnd(20, " "));
    expect(groupCode(code)).toMatch(/^\d{3} \d{3} \d{4}$/);
    expect(line1).toMatch(/^JPY 1200 +[12]:\d\d$/);

    const phone = new SimPhone({ gatewayUrl: system.server.gatewayUrl, subscriberCredential: system.seed.subscriberCredential });
    expect(await phone.claim(code)).toMatchObject({ ok: true, value: { paymentId } });
    expect(await phone.approve(paymentId)).toMatchObject({ ok: true, value: { state: "approved" } });
    const settled = await pollUntil("the receipt printed", async () => {
      const view = await system.payment(paymentId);
      return view.state === "approved" && view.receiptPrinted ? view : undefined;
    });
    expect(settled.amount).toEqual({ minor: 1200, currency: "JPY" });
  });
});
