/**
 * Every framing a factory-set reader sends (MagTek and ID TECH serial manuals, ISO/IEC 7811/7813),
 * first through the pure codec, then through the agent's real driver path: bytes in through the
 * serialport mock binding, a card read (or error) out.
 */
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { SerialCardReader } from "../src/devices/card-reader.js";
import type { CardReaderOptions } from "../src/devices/card-reader.js";
import type { CardRead } from "../src/devices/device.js";
import { openTransport } from "../src/devices/transport.js";
import { checkSwipe, emptyAssembly, endSwipe, greetingName, parseCardholderName, pushSwipeText } from "../src/protocols/magstripe/swipe.js";
import type { SwipeFraming } from "../src/protocols/magstripe/swipe.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { mockSerial, waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

const PAN = "4111111111111111";
const OTHER_PAN = "5555555555554444";
/** ISO/IEC 7813 name field: SURNAME/GIVEN.TITLE padded with spaces to 26 characters. */
const NAME_FIELD = "DOE/JANE.MRS".padEnd(26, " ");
const T1 = `%B${PAN}^${NAME_FIELD}^3012101000000000000?`;
const T2 = `;${PAN}=30121010000000000?`;
const T3 = "+0123456789012345678=0000000000000?";
const STX = "\x02";
const ETX = "\x03";
const KEY = Buffer.from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "hex");

/** The block check a reader appends after ETX: XOR of every byte after STX up to and including ETX. */
function lrc(inside: string): string {
  let check = 0;
  for (const char of inside + ETX) check ^= char.charCodeAt(0);
  return String.fromCharCode(check);
}

const good = { ok: true, card: { pan: PAN, expiry: "3012", holder: { surname: "DOE", given: "JANE", title: "MRS" } } };
const goodWithoutName = { ok: true, card: { pan: PAN, expiry: "3012" } };

/** [what, bytes as the reader sends them (latin1), reader settings, expected result] */
const FORMATS: Array<[string, string, SwipeFraming, unknown]> = [
  ["tracks concatenated, one CR at the end (MagTek / ID TECH default)", `${T1}${T2}\r`, {}, good],
  ["tracks concatenated, no terminator at all", `${T1}${T2}`, {}, good],
  ["tracks separated by CR", `${T1}\r${T2}\r`, {}, good],
  ["tracks separated by CR LF", `${T1}\r\n${T2}\r\n`, {}, good],
  ["STX … ETX around CR-separated tracks", `${STX}${T1}\r${T2}\r${ETX}`, {}, good],
  ["STX … ETX with an LRC byte", `${STX}${T1}${T2}\r${ETX}${lrc(`${T1}${T2}\r`)}`, { lrc: true }, good],
  ["prefix and suffix set by the installer (holding sentinel characters)", `;;POS%${T1}${T2}?END?\r`, { prefix: ";;POS%", suffix: "?END?" }, good],
  ["track 3 present, concatenated", `${T1}${T2}${T3}\r`, {}, good],
  ["track 3 unreadable", `${T1}${T2}+E?\r`, {}, good],
  ["MagTek: STX ESC %…?;…? sensor CR ETX", `${STX}\x1b${T1}${T2}1\r${ETX}`, {}, good],
  ["leading ANSI escape sequence and NUL / 0xFF line noise", `\x00\xff\x1b[0;1m${T1}\x00${T2}\xff\r`, {}, good],
  ["track 1 unreadable: track 2 alone carries PAN and expiry", `%E?${T2}\r`, {}, goodWithoutName],
  ["track 2 unreadable: track 1 alone carries PAN and expiry", `${T1};E?\r`, {}, good],
  ["track 1 with lower case (outside its 6-bit set) is bad: track 2 used", `%B${PAN}^Doe/Jane^3012101?${T2}\r`, {}, goodWithoutName],
];

const REFUSED: Array<[string, string, SwipeFraming, string]> = [
  ["both financial tracks unreadable", "%E?;E?+E?\r", {}, "CARD_UNREADABLE"],
  ["track 1 bad (lower case) and track 2 unreadable", `%B${PAN}^Doe/Jane^3012101?;E?\r`, {}, "CARD_UNREADABLE"],
  ["tracks disagree on the PAN", `${T1};${OTHER_PAN}=30121010000000000?\r`, {}, "CARD_TRACKS_DISAGREE"],
  ["wrong LRC byte", `${STX}${T1}${T2}\r${ETX}\x00`, { lrc: true }, "CARD_LRC_MISMATCH"],
  ["LRC configured but the frame ends at ETX", `${STX}${T1}${T2}\r${ETX}`, { lrc: true }, "CARD_LRC_MISMATCH"],
  ["track 1 alone, lower case", `%B${PAN}^Doe/Jane^3012101?\r`, {}, "CARD_TRACK_FORMAT"],
  ["track 1 format code A", `%A${PAN}^DOE/JANE^3012101?\r`, {}, "CARD_TRACK_FORMAT"],
  ["Luhn failure", ";4111111111111112=30121010000000000?\r", {}, "CARD_LUHN"],
  ["visible garbage with no sentinel", "HELLO\r", {}, "CARD_NO_TRACK"],
];

describe("magstripe codec, every reader framing (pure)", () => {
  it.each(FORMATS)("%s", (_what, bytes, framing, expected) => {
    expect(checkSwipe(bytes, framing)).toEqual(expected);
  });

  it.each(REFUSED)("refuses: %s", (_what, bytes, framing, code) => {
    const result = checkSwipe(bytes, framing);
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.message).not.toMatch(/\d{6}|DOE|Doe/);
  });

  it("line noise, a lone track 3 and a stray suffix are noise, not a swipe", () => {
    for (const bytes of ["\x00\xff\r\n", `${T3}\r`, "\r\n"]) expect(checkSwipe(bytes)).toMatchObject({ ok: false, code: "CARD_NO_TRACK", noise: true });
    expect(checkSwipe("?END?\r", { suffix: "?END?" })).toMatchObject({ noise: true });
  });

  it("parses the name field SURNAME/GIVEN.TITLE, trimmed, and greets given name first", () => {
    expect(parseCardholderName(NAME_FIELD)).toEqual({ surname: "DOE", given: "JANE", title: "MRS" });
    expect(parseCardholderName("VAN DER BERG/ANNA MARIE   ")).toEqual({ surname: "VAN DER BERG", given: "ANNA MARIE" });
    expect(parseCardholderName("CARDHOLDER                ")).toEqual({ surname: "CARDHOLDER" });
    expect(parseCardholderName(" /                        ")).toBeUndefined();
    expect(greetingName({ surname: "VAN DER BERG", given: "ANNA MARIE", title: "DR" })).toBe("Anna Marie Van Der Berg");
  });

  it("assembly: a line holding track 2 ends the swipe; a track-1 line waits; STX waits for ETX and its LRC", () => {
    const first = pushSwipeText(emptyAssembly, `${T1}\r`, {}, true);
    expect(first.outputs).toEqual([]);
    const second = pushSwipeText(first.state, `${T2}\r`, {}, true);
    expect(second.outputs).toEqual([{ kind: "swipe", text: `${T1}\r${T2}\r` }]);
    const framed = pushSwipeText(emptyAssembly, `${STX}${T1}\r`, { lrc: true }, true);
    const more = pushSwipeText(framed.state, `${T2}\r`, { lrc: true }, true);
    expect(more.outputs).toEqual([]);
    const etx = pushSwipeText(more.state, `${ETX}`, { lrc: true });
    expect(etx.outputs).toEqual([]);
    expect(pushSwipeText(etx.state, "Z", { lrc: true }).outputs).toEqual([{ kind: "swipe", text: `${STX}${T1}\r${T2}\r${ETX}Z` }]);
    const unterminated = pushSwipeText(emptyAssembly, `${T1}${T2}`);
    expect(unterminated.outputs).toEqual([]);
    expect(endSwipe(unterminated.state)).toEqual([{ kind: "swipe", text: `${T1}${T2}` }]);
  });
});

describe("card reader driver: each framing through the serialport mock binding", () => {
  async function driver(options: CardReaderOptions) {
    const serial = mockSerial();
    serial.createPort("/dev/ttyMSR");
    const { logger, text } = captureLogger();
    const device = new SerialCardReader(openTransport({ path: "/dev/ttyMSR", baudRate: 9600, binding: serial.binding, logger }), logger, { cardKey: KEY, interByteTimeoutMs: 40, ...options });
    const reads: CardRead[] = [];
    const errors: string[] = [];
    device.on("data", (read) => reads.push(read));
    device.on("error", (error) => errors.push(error.code));
    device.start();
    await waitFor(() => device.powerState === "online", "reader online");
    const send = (bytes: string): void => serial.last("/dev/ttyMSR").emitData(Buffer.from(bytes, "latin1"));
    return { device, reads, errors, send, logs: text };
  }

  const token = createHmac("sha256", KEY).update(PAN).digest("hex");

  it.each(FORMATS)("%s", async (_what, bytes, framing, expected) => {
    const greetByName = true;
    const { device, reads, errors, send, logs } = await driver({ framing, greetByName });
    // Split mid-track, as a UART delivers a burst in pieces.
    send(bytes.slice(0, 7));
    send(bytes.slice(7));
    await waitFor(() => reads.length === 1, "one card read");
    const holder = (expected as typeof good).card.holder;
    expect(reads[0]).toEqual({ last4: "1111", maskedPan: "411111******1111", expiry: "3012", token, ...(holder ? { cardholderName: "Jane Doe" } : {}) });
    await new Promise((resolve) => setTimeout(resolve, 80)); // past the inter-byte timeout: nothing more comes out
    expect(reads).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(logs()).not.toContain(PAN);
    expect(logs()).not.toMatch(/DOE|Jane/);
    await device.stop();
  });

  it.each(REFUSED)("refuses: %s", async (_what, bytes, framing, code) => {
    const { device, reads, errors, send, logs } = await driver({ framing });
    send(bytes);
    await waitFor(() => errors.length === 1, "one error");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(errors).toEqual([code]);
    expect(reads).toEqual([]);
    expect(logs()).not.toContain(PAN);
    await device.stop();
  });

  it("a reader with CR-separated tracks and track 3 on its own line gives one read and no error; the name stays out unless the store greets", async () => {
    const { device, reads, errors, send } = await driver({});
    send(`${T1}\r${T2}\r${T3}\r`);
    await waitFor(() => reads.length === 1, "one read");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(reads).toHaveLength(1);
    expect(reads[0]!.cardholderName).toBeUndefined();
    expect(errors).toEqual([]);
    await device.stop();
  });

  it("an LF-terminated reader (terminator LF), and line noise alone, which says nothing", async () => {
    const { device, reads, errors, send } = await driver({ terminator: "LF" });
    send("\x00\xff\x00");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(errors).toEqual([]);
    send(`${T1}\n${T2}\n`);
    await waitFor(() => reads.length === 1, "one read");
    expect(errors).toEqual([]);
    await device.stop();
  });

  it("an endless line without a terminator is dropped at cardSwipeBytesMax and the next swipe still reads", async () => {
    const { device, reads, errors, send } = await driver({});
    send("9".repeat(400));
    send("9".repeat(400));
    await waitFor(() => errors.length === 1, "too long");
    expect(errors).toEqual(["CARD_SWIPE_TOO_LONG"]);
    send(`${T1}${T2}\r`);
    await waitFor(() => reads.length === 1, "the next swipe");
    await device.stop();
  });
});
