/**
 * Byte-stream targets: the simulator's decoders (pole display in three command sets, ESC/POS,
 * magstripe track lines) and the agent's (printer status replies, card-reader swipe assembly and
 * checks). Bytes arrive in random chunks, as on a serial line. A decoder may reject or resync,
 * never throw, and never hold more than its bound.
 */
import { applyReply, askedRealTime, buildReceipt, checkSwipe, decodeReplies, emptyAssembly, endSwipe, initialReplyDecoder, pushSwipeBytes, UNKNOWN_STATUS } from "@codepay/terminal-agent/parts";
import { applyDisplayCommand, applyPrinterCommand, createCd5220Decoder, createEpsonDisplayDecoder, createEscPosDecoder, createLogicControlsDecoder, encodeBadSwipe, encodeSwipe, initialReceiptBuilder, initialScreen, limits as simLimits, parseTrackLine, track1, track2, DISPLAY_COLUMNS, TEST_CARDS } from "@codepay/hardware-sim";
import type { Prng } from "../simulation/prng.js";
import { chunked, mutateBytes, randomBytes } from "./mutate.js";
import { FuzzFailure, type FuzzTarget } from "./target.js";

function sampleOrRandom(prng: Prng, samples: readonly Buffer[]): Buffer {
  return prng.chance(0.8) ? mutateBytes(prng, prng.pick(samples)) : randomBytes(prng, 512);
}

const DISPLAY_SAMPLES = [
  Buffer.concat([Buffer.from([0x1b, 0x40, 0x0c, 0x1f, 0x24, 0x01, 0x01]), Buffer.from("WELCOME  Sim Store   "), Buffer.from([0x1f, 0x24, 0x01, 0x02]), Buffer.from("CODE 482 9137   1:59")]),
  Buffer.concat([Buffer.from([0x1b, 0x74, 0x01, 0x1f, 0x58, 0x04, 0x1f, 0x43, 0x00, 0x1f, 0x01, 0x0b]), Buffer.from("TOTAL       JPY 1200")]),
  Buffer.concat([Buffer.from([0x1b, 0x51, 0x41]), Buffer.from("APPROVED            "), Buffer.from([0x0d, 0x1b, 0x51, 0x42]), Buffer.from("JPY 1200"), Buffer.from([0x0d, 0x1b, 0x6c, 0x01, 0x02, 0x1b, 0x2a, 0x02])]),
  Buffer.concat([Buffer.from([0x1f, 0x11, 0x10, 0x05]), Buffer.from("DECLINED"), Buffer.from([0x0c, 0x18])]),
];

function displayTarget(name: string, create: () => ReturnType<typeof createEpsonDisplayDecoder>): FuzzTarget {
  return {
    name,
    run(prng) {
      const decoder = create();
      let screen = initialScreen();
      for (const chunk of chunked(prng, sampleOrRandom(prng, DISPLAY_SAMPLES))) {
        for (const command of decoder.push(chunk)) screen = applyDisplayCommand(screen, command);
        if (decoder.pendingBytes > simLimits.frameBytesMax) throw new FuzzFailure(`${name} holds ${decoder.pendingBytes} bytes, past frameBytesMax`);
      }
      if (screen.rows.some((line) => line.length !== DISPLAY_COLUMNS)) throw new FuzzFailure(`${name} drew a line that is not ${DISPLAY_COLUMNS} cells`);
    },
  };
}

let receiptSamples: Buffer[] | undefined;

function escposSamples(): Buffer[] {
  receiptSamples ??= [
    buildReceipt({ storeName: "Sim Store", registerId: "reg-1", paymentId: "fuzz-payment-1", amount: { minor: 1200, currency: "JPY" }, lines: [{ text: "Coffee", amountMinor: 1200 }], reference: "ref-1", printedAt: 0 }),
    buildReceipt({ storeName: "Sim Store", registerId: "reg-1", paymentId: "fuzz-payment-2", amount: { minor: 99, currency: "EUR" }, lines: [], printedAt: 0, reprint: true }),
    Buffer.from([0x1b, 0x70, 0x00, 0x19, 0xfa, 0x1d, 0x61, 0x0f, 0x10, 0x04, 0x01, 0x1d, 0x72, 0x01, 0x1d, 0x56, 0x41, 0x03]),
    // Kanji mode (FS C 1, FS & ... FS .) with Shift_JIS double-byte text beside half-width Katakana.
    buildReceipt(
      { storeName: "デモ商店", registerId: "reg-1", paymentId: "fuzz-payment-3", amount: { minor: 1200, currency: "JPY" }, lines: [{ text: "珈琲 ｺｰﾋｰ", amountMinor: 1200 }], printedAt: 0, language: "ja" },
      { japanese: "shift_jis" },
    ),
  ];
  return receiptSamples;
}

const escposTarget: FuzzTarget = {
  name: "sim:escpos-bytes",
  run(prng) {
    const decoder = createEscPosDecoder();
    let state = initialReceiptBuilder();
    for (const chunk of chunked(prng, mutateBytes(prng, prng.pick(escposSamples()), 16_384))) {
      for (const command of decoder.push(chunk)) state = applyPrinterCommand(state, command).state;
      if (decoder.pendingBytes > simLimits.frameBytesMax) throw new FuzzFailure(`escpos decoder holds ${decoder.pendingBytes} bytes, past frameBytesMax`);
    }
  },
};

const CARDS = Object.values(TEST_CARDS);
const TRACK_SAMPLES = CARDS.flatMap((card) => [track1(card), track2(card)]);

const simCardLineTarget: FuzzTarget = {
  name: "sim:card-line",
  run(prng) {
    const line = prng.chance(0.8) ? mutateBytes(prng, Buffer.from(prng.pick(TRACK_SAMPLES), "latin1")).toString("latin1") : randomBytes(prng, 120).toString("latin1");
    const parsed = parseTrackLine(line);
    if (!["track1", "track2", "error", "invalid"].includes(parsed.kind)) throw new FuzzFailure(`parseTrackLine returned ${JSON.stringify(parsed)}`);
  },
};

const STATUS_SAMPLES = [Buffer.from([0x16, 0x12, 0x12]), Buffer.from([0x14, 0x00, 0x00, 0x0f]), Buffer.from([0x1e, 0x72, 0x60, 0x00]), Buffer.from([0x00, 0x16, 0x32, 0x7e])];

const agentPrinterStatusTarget: FuzzTarget = {
  name: "agent:printer-status-bytes",
  run(prng) {
    let decoder = initialReplyDecoder();
    let status = UNKNOWN_STATUS;
    for (const chunk of chunked(prng, sampleOrRandom(prng, STATUS_SAMPLES))) {
      if (prng.chance(0.3)) decoder = askedRealTime(decoder, prng.pick([[1], [2], [4], [1, 2, 4]]));
      const decoded = decodeReplies(decoder, chunk);
      decoder = decoded.state;
      for (const reply of decoded.replies) status = applyReply(status, reply);
    }
  },
};

const SWIPE_SAMPLES = [...CARDS.map((card) => encodeSwipe(card)), encodeBadSwipe(), Buffer.from(`\x02${track1(TEST_CARDS.visa)}\r${track2(TEST_CARDS.visa)}\x03`, "latin1")];

const agentCardLineTarget: FuzzTarget = {
  name: "agent:card-line-bytes",
  run(prng) {
    let assembly = emptyAssembly;
    const swipes: string[] = [];
    for (const chunk of chunked(prng, sampleOrRandom(prng, SWIPE_SAMPLES))) {
      const pushed = pushSwipeBytes(assembly, chunk);
      assembly = pushed.state;
      for (const output of pushed.outputs) if (output.kind === "swipe") swipes.push(output.text);
    }
    for (const output of endSwipe(assembly)) if (output.kind === "swipe") swipes.push(output.text);
    for (const text of swipes) {
      const result = checkSwipe(text);
      if (!result.ok && (typeof result.code !== "string" || result.message.length === 0)) throw new FuzzFailure(`checkSwipe refused without a clear error: ${JSON.stringify(result)}`);
      if (!result.ok && /\d{12,}/.test(result.message)) throw new FuzzFailure("checkSwipe put a card number in its message");
    }
  },
};

export function byteTargets(): FuzzTarget[] {
  return [
    displayTarget("sim:display-bytes-epson", createEpsonDisplayDecoder),
    displayTarget("sim:display-bytes-cd5220", createCd5220Decoder),
    displayTarget("sim:display-bytes-logic-controls", createLogicControlsDecoder),
    escposTarget,
    simCardLineTarget,
    agentPrinterStatusTarget,
    agentCardLineTarget,
  ];
}
