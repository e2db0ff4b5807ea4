/**
 * Refuses an MQTT packet as soon as its fixed header announces more bytes than allowed, before the
 * broker reads them: aedes and mqtt-packet buffer whatever length a header announces, even in a
 * CONNECT that is not yet authenticated (DESIGN-NOTES "Batched execution", last note), so one socket
 * could make the server hold 100 MB. The first packet on a connection is the CONNECT [MQTT-3.1.0-1]
 * and gets the small bound; every later one the packet bound.
 *
 * Fixed header [MQTT-2.2]: one byte of type and flags, then the Remaining Length in 1-4 bytes of 7
 * bits each, least significant first, the top bit saying another byte follows [MQTT-2.2.3]. A fifth
 * length byte is malformed.
 *
 * Pure: bytes in, a verdict out. The shell (`guardSocket`) watches a socket's chunks as the broker
 * reads them.
 */
import type { Duplex } from "node:stream";

export type PacketRefusal = "connect_too_large" | "packet_too_large" | "malformed_length";
export const PACKET_REFUSALS: readonly PacketRefusal[] = ["connect_too_large", "packet_too_large", "malformed_length"];

export interface PacketBounds {
  /** Largest Remaining Length of the first packet (CONNECT). */
  readonly connectBytesMax: number;
  /** Largest Remaining Length of any later packet. */
  readonly packetBytesMax: number;
}

const LENGTH_BYTES_MAX = 4;

export class PacketSizeGuard {
  #inHeader = true;
  #typeRead = false;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  /** Body bytes of the current packet still to pass. */
  #bodyLeft = 0;
  #packets = 0;

  constructor(private readonly bounds: PacketBounds) {}

  /** The refusal for these bytes, or undefined while every packet header so far is within bounds. */
  feed(chunk: Uint8Array): PacketRefusal | undefined {
    let at = 0;
    while (at < chunk.length) {
      if (!this.#inHeader) {
        const passed = Math.min(this.#bodyLeft, chunk.length - at);
        at += passed;
        this.#bodyLeft -= passed;
        if (this.#bodyLeft === 0) this.#startHeader();
        continue;
      }
      const byte = chunk[at++] as number; // at < chunk.length
      if (!this.#typeRead) {
        this.#typeRead = true;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#lengthBytes += 1;
      if ((byte & 0x80) !== 0) {
        if (this.#lengthBytes === LENGTH_BYTES_MAX) return "malformed_length";
        continue;
      }
      const first = this.#packets === 0;
      this.#packets += 1;
      if (this.#length > (first ? this.bounds.connectBytesMax : this.bounds.packetBytesMax)) return first ? "connect_too_large" : "packet_too_large";
      this.#bodyLeft = this.#length;
      if (this.#bodyLeft === 0) this.#startHeader();
      else this.#inHeader = false;
    }
    return undefined;
  }

  #startHeader(): void {
    this.#inHeader = true;
    this.#typeRead = false;
    this.#length = 0;
    this.#multiplier = 1;
    this.#lengthBytes = 0;
  }
}

/**
 * Watches the chunks the broker reads from `socket` (a 'data' listener added after aedes' 'readable'
 * one only observes: `read()` emits each chunk as it returns it) and destroys the socket at the first
 * header out of bounds, before the rest of that packet is read.
 */
export function guardSocket(socket: Duplex, bounds: PacketBounds, onRefused: (refusal: PacketRefusal) => void): void {
  const guard = new PacketSizeGuard(bounds);
  const watch = (chunk: Buffer): void => {
    const refusal = guard.feed(chunk);
    if (refusal === undefined) return;
    socket.off("data", watch);
    onRefused(refusal);
    socket.destroy();
  };
  socket.on("data", watch);
}
