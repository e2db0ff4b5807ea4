import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { CardReaderEmulator, TEST_CARDS, createSimBinding } from "@codepay/hardware-sim";
import { SerialCardReader } from "../src/devices/card-reader.js";
import type { CardRead } from "../src/devices/device.js";
import { openTransport } from "../src/devices/transport.js";
import { checkSwipe, emptyAssembly, endSwipe, luhnValid, pushSwipeBytes } from "../src/protocols/magstripe/swipe.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

const PAN = "4111111111111111";
const TRACK1 = `%B${PAN}^DOE/JANE^3012101000000000000?`;
const TRACK2 = `;${PAN}=30121010000000000?`;
const KEY = Buffer.from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "hex");

describe("track checks (pure; every reader framing: magstripe-formats.test.ts)", () => {
  it("accepts a good card, with one track or two that agree", () => {
    expect(checkSwipe(`${TRACK1}\r\n${TRACK2}\r\n`)).toEqual({ ok: true, card: { pan: PAN, expiry: "3012", holder: { surname: "DOE", given: "JANE" } } });
    expect(checkSwipe(`%E?\r\n${TRACK2}\r\n`)).toEqual({ ok: true, card: { pan: PAN, expiry: "3012" } });
  });

  it("refuses bad reads, wrong sentinels, format codes, Luhn failures and tracks that disagree, with messages free of card data", () => {
    const cases: Array<[string, string]> = [
      ["E\r\nE\r\n", "CARD_UNREADABLE"],
      [`%E?\r\n;E?\r\n`, "CARD_UNREADABLE"],
      [`:${PAN}=3012101?\r\n`, "CARD_NO_TRACK"],
      [`%A${PAN}^DOE/JANE^3012101?\r\n`, "CARD_TRACK_FORMAT"],
      [`;4111111111111112=30121010000000000?\r\n`, "CARD_LUHN"],
      [`${TRACK1}\r\n;5555555555554444=30121010000000000?\r\n`, "CARD_TRACKS_DISAGREE"],
      [`${TRACK1}\r\n;${PAN}=29121010000000000?\r\n`, "CARD_TRACKS_DISAGREE"],
      ["\r\n\r\n", "CARD_NO_TRACK"],
    ];
    for (const [swipe, code] of cases) {
      const result = checkSwipe(swipe);
      expect(result).toMatchObject({ ok: false, code });
      if (!result.ok) expect(result.message).not.toMatch(/\d{6}/);
    }
    expect(luhnValid(TEST_CARDS.mastercard.pan)).toBe(true);
  });

  it("never throws and never grows on random bytes (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 }), (chunks) => {
        let state = emptyAssembly;
        for (const chunk of chunks) {
          const pushed = pushSwipeBytes(state, chunk);
          state = pushed.state;
          for (const output of pushed.outputs) if (output.kind === "swipe") checkSwipe(output.text);
          expect(state.text.length).toBeLessThanOrEqual(512);
        }
        for (const output of endSwipe(state)) if (output.kind === "swipe") checkSwipe(output.text);
      }),
    );
  });
});

describe("card reader driver against the simulated reader", () => {
  async function reader(cardKey: Buffer | null = KEY) {
    const emulator = new CardReaderEmulator();
    const binding = createSimBinding({ "/sim/msr": emulator });
    const { logger, text } = captureLogger();
    const device = new SerialCardReader(openTransport({ path: "/sim/msr", baudRate: 9600, binding, logger }), logger, { cardKey: cardKey ?? undefined, interByteTimeoutMs: 30 });
    const reads: CardRead[] = [];
    const errors: string[] = [];
    device.on("data", (read) => reads.push(read));
    device.on("error", (error) => errors.push(error.code));
    device.start();
    await waitFor(() => device.powerState === "online", "reader online");
    return { emulator, device, reads, errors, logs: text };
  }

  it("a good swipe gives last 4, masked PAN, expiry and the keyed hash; the PAN is nowhere in the logs", async () => {
    const { emulator, device, reads, errors, logs } = await reader();
    emulator.swipe("mastercard");
    await waitFor(() => reads.length === 1, "one read");
    const pan = TEST_CARDS.mastercard.pan;
    expect(reads[0]).toEqual({ last4: "4444", maskedPan: "555555******4444", expiry: "3012", token: createHmac("sha256", KEY).update(pan).digest("hex") });
    expect(JSON.stringify(reads)).not.toContain(pan);
    expect(logs()).not.toContain(pan);
    expect(logs()).not.toContain("TEST/MASTERCARD");
    expect(errors).toEqual([]);
    await device.stop();
  });

  it("a bad swipe, garbage and noise give clear error events and no crash; the next good swipe still reads", async () => {
    const { emulator, device, reads, errors } = await reader();
    emulator.swipe("bad");
    await waitFor(() => errors.length === 1, "bad swipe error");
    emulator.sendRaw(Buffer.from([0xff, 0x00, 0x41, 0x0d, 0x7f, 0x25, 0x0a]));
    await waitFor(() => errors.length === 2, "garbage error");
    emulator.sendRaw(Buffer.alloc(700, 0x39));
    await waitFor(() => errors.length === 3, "noise error");
    emulator.swipe("visa");
    await waitFor(() => reads.length === 1, "good swipe after the noise");
    expect(errors).toEqual(["CARD_UNREADABLE", "CARD_TRACK_FORMAT", "CARD_SWIPE_TOO_LONG"]);
    expect(reads[0]!.last4).toBe("1111");
    await device.stop();
  });

  it("without a card key a good swipe is refused with CARD_KEY_MISSING", async () => {
    const { emulator, device, reads, errors } = await reader(null);
    emulator.swipe("visa");
    await waitFor(() => errors.length === 1, "refused");
    expect(errors).toEqual(["CARD_KEY_MISSING"]);
    expect(reads).toEqual([]);
    await device.stop();
  });
  // Every reader framing through the mock binding: magstripe-formats.test.ts.
});
