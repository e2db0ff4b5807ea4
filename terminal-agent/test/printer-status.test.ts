import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  UNKNOWN_STATUS,
  applyReply,
  askedRealTime,
  decodeReplies,
  initialReplyDecoder,
  isFault,
  realTimeAskedMax,
  statusChanges,
} from "../src/protocols/escpos/printer-status.js";
import type { PrinterReply } from "../src/protocols/escpos/printer-status.js";

describe("printer reply demultiplexer", () => {
  it("tells DLE EOT replies (0xx1xx10), ASB blocks (0xx1xx00 + 3) and GS r replies (0xx0xxxx) apart, in request order", () => {
    const asked = askedRealTime(initialReplyDecoder(), [1, 2, 4]);
    // ASB first byte, a DLE EOT 1 reply squeezed in, the rest of the ASB, two more DLE EOT replies, a GS r reply.
    const { replies, state } = decodeReplies(asked, Uint8Array.from([0x18, 0x1a, 0x00, 0x0c, 0x00, 0x32, 0x72, 0x0c]));
    expect(replies).toEqual<PrinterReply[]>([
      { kind: "realTime", statusType: 1, byte: 0x1a },
      { kind: "automaticStatusBack", bytes: [0x18, 0x00, 0x0c, 0x00] },
      { kind: "realTime", statusType: 2, byte: 0x32 },
      { kind: "realTime", statusType: 4, byte: 0x72 },
      { kind: "transmitStatus", byte: 0x0c },
    ]);
    expect(state).toEqual(initialReplyDecoder());
  });

  it("keeps an ASB block split across reads", () => {
    const first = decodeReplies(initialReplyDecoder(), Uint8Array.from([0x10, 0x00]));
    expect(first.replies).toEqual([]);
    const second = decodeReplies(first.state, Uint8Array.from([0x03, 0x00]));
    expect(second.replies).toEqual([{ kind: "automaticStatusBack", bytes: [0x10, 0x00, 0x03, 0x00] }]);
  });

  it("turns replies into paper near end, paper end, cover open and offline", () => {
    const asb = applyReply(UNKNOWN_STATUS, { kind: "automaticStatusBack", bytes: [0x38, 0, 0x0f, 0] });
    expect(asb).toEqual({ known: true, offline: true, coverOpen: true, paperNearEnd: true, paperEnd: true });
    expect(isFault(asb)).toBe(true);
    const online = applyReply(UNKNOWN_STATUS, { kind: "realTime", statusType: 1, byte: 0x12 });
    expect(online).toMatchObject({ known: true, offline: false });
    expect(applyReply(online, { kind: "realTime", statusType: 4, byte: 0x1e })).toMatchObject({ paperNearEnd: true, paperEnd: false });
    expect(applyReply(online, { kind: "realTime", statusType: 2, byte: 0x16 })).toMatchObject({ coverOpen: true, paperEnd: false });
    expect(statusChanges(online, asb)).toEqual(["paperEnd", "coverOpen", "offline"]);
    expect(statusChanges(asb, online)).toEqual(["paperOk", "coverClosed", "online"]);
  });

  it("never throws and never grows on random bytes (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), fc.array(fc.constantFrom(1, 2, 4), { maxLength: 80 }), (chunks, asks) => {
        let state = askedRealTime(initialReplyDecoder(), asks);
        let status = UNKNOWN_STATUS;
        for (const chunk of chunks) {
          const decoded = decodeReplies(state, chunk);
          state = decoded.state;
          for (const reply of decoded.replies) status = applyReply(status, reply);
          expect(state.automaticStatusBack.length).toBeLessThan(4);
          expect(state.realTimeAsked.length).toBeLessThanOrEqual(realTimeAskedMax);
        }
      }),
    );
  });
});
