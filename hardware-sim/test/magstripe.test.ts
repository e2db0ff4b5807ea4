import { describe, expect, it } from "vitest";
import { CardReaderEmulator, luhnValid, maskPan, parseTrackLine, TEST_CARDS } from "../src/index.js";

function swipeBytes(card: "visa" | "mastercard" | "bad"): Buffer {
  const reader = new CardReaderEmulator();
  const sent: Buffer[] = [];
  reader.onTransmit((bytes) => sent.push(bytes));
  reader.swipe(card);
  return Buffer.concat(sent);
}

describe("card reader emulator: ISO 7813 tracks", () => {
  it("sends exactly Track 1 and Track 2 for the visa test card, each ending CR LF", () => {
    expect(swipeBytes("visa").toString("ascii")).toBe(
      "%B4111111111111111^TEST/VISA^30121010000000000?\r\n;4111111111111111=30121010000000000?\r\n",
    );
  });

  it("sends tracks that parse, agree with each other and carry a Luhn-valid PAN", () => {
    for (const card of ["visa", "mastercard"] as const) {
      const lines = swipeBytes(card).toString("ascii").split("\r\n");
      expect(lines).toHaveLength(3);
      expect(lines[2]).toBe("");
      const track1 = parseTrackLine(lines[0]!);
      const track2 = parseTrackLine(lines[1]!);
      if (track1.kind !== "track1" || track2.kind !== "track2") throw new Error(`unexpected ${track1.kind}/${track2.kind}`);
      expect(track1.pan).toBe(TEST_CARDS[card].pan);
      expect(track2.pan).toBe(track1.pan);
      expect(track2.expiry).toBe(track1.expiry);
      expect(luhnValid(track1.pan)).toBe(true);
    }
  });

  it("sends E lines for a bad swipe", () => {
    expect(swipeBytes("bad").toString("ascii")).toBe("%E?\r\n;E?\r\n");
    expect(parseTrackLine("%E?")).toEqual({ kind: "error", track: 1 });
  });

  it("reports swipes with a masked PAN only", () => {
    const reader = new CardReaderEmulator();
    const summaries: unknown[] = [];
    reader.on("swipe", (summary) => summaries.push(summary));
    reader.swipe("mastercard");
    expect(JSON.stringify(summaries)).not.toContain(TEST_CARDS.mastercard.pan);
    expect(summaries[0]).toMatchObject({ card: "mastercard", maskedPan: "555555******4444" });
  });

  it("Luhn rejects a single-digit change; masking keeps first 6 and last 4", () => {
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("41111111111111a1")).toBe(false);
    expect(maskPan("4111111111111111")).toBe("411111******1111");
  });

  it("rejects a wrong start sentinel and malformed tracks", () => {
    expect(parseTrackLine("#B4111111111111111^X/Y^3012101?").kind).toBe("invalid");
    expect(parseTrackLine(";4111111111111111D3012101?").kind).toBe("invalid");
  });
});
