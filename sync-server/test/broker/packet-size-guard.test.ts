import { describe, expect, test } from "vitest";
import { PacketSizeGuard } from "../../src/broker/packet-size-guard.js";

const bounds = { connectBytesMax: 100, packetBytesMax: 1_000 };

/** Type byte, Remaining Length [MQTT-2.2.3], then `length` body bytes. */
function packet(type: number, length: number): Buffer {
  const lengthBytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    lengthBytes.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([type, ...lengthBytes]), Buffer.alloc(length, 7)]);
}

/** Feeds `bytes` in chunks of `size` and returns the first refusal. */
function feedInChunks(bytes: Buffer, size: number): string | undefined {
  const guard = new PacketSizeGuard(bounds);
  for (let at = 0; at < bytes.length; at += size) {
    const refusal = guard.feed(bytes.subarray(at, at + size));
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

describe("PacketSizeGuard", () => {
  test.each([1, 2, 3, 7, 64, 10_000])("a CONNECT and packets within bounds pass, in chunks of %i bytes", (size) => {
    const stream = Buffer.concat([packet(0x10, 100), packet(0x32, 1_000), packet(0xc0, 0), packet(0x32, 200), packet(0x40, 2)]);
    expect(feedInChunks(stream, size)).toBeUndefined();
  });

  test.each([1, 3, 10_000])("a CONNECT one byte over its bound is refused (chunks of %i)", (size) => {
    expect(feedInChunks(packet(0x10, 101), size)).toBe("connect_too_large");
  });

  test("a later packet over the packet bound is refused, at its header", () => {
    const guard = new PacketSizeGuard(bounds);
    expect(guard.feed(packet(0x10, 10))).toBeUndefined();
    // Only the header of a packet announcing 100 MB: refused before any of its body arrives.
    expect(guard.feed(Buffer.from([0x32, 0x80, 0x80, 0x80, 0x32]))).toBe("packet_too_large");
  });

  test("a fifth Remaining Length byte is malformed", () => {
    expect(new PacketSizeGuard(bounds).feed(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe("malformed_length");
  });
});
