/** Each display driver model against its emulator (the simulator's own decoders) through the simulator's binding. */
import { describe, expect, it } from "vitest";
import { PoleDisplayEmulator, createSimBinding } from "@codepay/hardware-sim";
import { renderScreen, marquee } from "../src/core/screens.js";
import type { Payment } from "../src/core/payment.js";
import { SerialPoleDisplay } from "../src/devices/pole-display.js";
import { openTransport } from "../src/devices/transport.js";
import { encodeDisplayText, toHalfWidth } from "../src/protocols/pole-display/character-map.js";
import { DISPLAY_MODELS } from "../src/protocols/pole-display/command-sets.js";
import type { DisplayCharset, DisplayModel } from "../src/protocols/pole-display/command-sets.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";

async function drive(model: DisplayModel, charset: DisplayCharset, frames: Array<[string, string]>, brightness: 1 | 2 | 3 | 4 = 4) {
  const emulator = new PoleDisplayEmulator(model);
  const binding = createSimBinding({ "/sim/vfd": emulator });
  const { logger } = captureLogger();
  const display = new SerialPoleDisplay(openTransport({ path: "/sim/vfd", baudRate: 9600, binding, logger }), logger, { model, charset, brightness });
  display.start();
  await waitFor(() => display.powerState === "online", "online");
  for (const frame of frames) {
    display.show(frame);
    await display.whenIdle();
  }
  await display.stop();
  return emulator.snapshot();
}

const now = 1_700_000_000_000;
const issued = (language: "en" | "ja"): [string, string] => {
  const payment = { paymentId: "p-00000001", state: "issued", amount: { minor: 1200, currency: "JPY" }, lines: [], createRequestId: "r", code: "4829137", expiresAt: now + 119_000, receiptPrinted: false, cancelRequested: false, refunds: [], createdAt: now, updatedAt: now } as unknown as Payment;
  return renderScreen({ storeName: "Demo", linkUp: true, payment, language }, now) as [string, string];
};

describe.each(DISPLAY_MODELS)("%s driver against its emulator", (model) => {
  it("shows each screen exactly, across updates that send only changed cells, at the configured brightness", async () => {
    const snapshot = await drive(model, "ascii", [["WELCOME Demo Store", "PAY WITH CODE PAY"], issued("en"), ["TOTAL  EUR 12.34 €", "CODE 482 9137   0:09"]], 2);
    expect(snapshot.lines).toEqual(["TOTAL  EUR 12.34 €  ", "CODE 482 9137   0:09"]);
    expect(snapshot.brightness).toBe(2);
    expect(snapshot.unknownCommands).toBe(0);
  });

  it("shows Japanese in Katakana (JIS X 0201), folding full-width text", async () => {
    const snapshot = await drive(model, "katakana", [issued("ja"), ["ｼｮｳﾆﾝ ｱﾘｶﾞﾄｳｺﾞｻﾞｲﾏｽ", "ガンダム ストア"]]);
    expect(snapshot.lines).toEqual(["ｼｮｳﾆﾝ ｱﾘｶﾞﾄｳｺﾞｻﾞｲﾏｽ ", "ｶﾞﾝﾀﾞﾑ ｽﾄｱ          "]);
    expect(snapshot.unknownCommands).toBe(0);
  });
});

describe("screens and character maps", () => {
  it("Japanese issued screen keeps the grouped code and the countdown", () => {
    expect(issued("ja")).toEqual(["ｺﾞｳｹｲ       JPY 1200", "ｺｰﾄﾞ 482 9137   1:59"]);
  });

  it("scrolls a long store name on the host, one column per step", () => {
    const text = "WELCOME A VERY LONG STORE NAME";
    expect(marquee(text, 20, 0)).toBe("WELCOME A VERY LONG ");
    expect(marquee(text, 20, 400)).toBe("ELCOME A VERY LONG S");
    expect(marquee("SHORT", 20, 400)).toBe("SHORT               ");
    expect(renderScreen({ storeName: "A VERY LONG STORE NAME", linkUp: true }, 800)[0]).toBe("LCOME A VERY LONG ST");
  });

  it("maps the euro per model and never lets text become a command", () => {
    expect([...encodeDisplayText("€\x1b", { euro: 0xd5, katakana: false })]).toEqual([0xd5, 0x3f]);
    expect([...encodeDisplayText("ｱ€", { euro: 0x80, katakana: true })]).toEqual([0xb1, 0x80]);
    expect(toHalfWidth("パン　ＡＢ")).toBe("ﾊﾟﾝ AB");
  });
});
