/**
 * The few MQTT 3.1.1 frames the bench's register sends and receives on its hot path, framed by hand:
 * PUBLISH at QoS 1 out, PUBACK out, and a reader that cuts the incoming byte stream into frames and
 * decodes PUBLISH and PUBACK. Pure: bytes in, values out. mqtt-packet's generic generate() and parser
 * cost the load generator more than the frames are worth (issue 14 profile); the tests check these
 * against mqtt-packet both ways. CONNECT and SUBSCRIBE, sent once, stay with mqtt-packet.
 *
 * Fixed header [MQTT-2.2]: type << 4 | flags, then the remaining length in 1-4 bytes of 7 bits.
 */
export const PACKET_TYPE = { connack: 2, publish: 3, puback: 4, suback: 9, pingresp: 13 } as const;

/** One frame off the wire: its type, the low 4 bits of the first byte, and the bytes after the length. */
export interface MqttFrame {
  readonly type: number;
  readonly flags: number;
  readonly body: Buffer;
}

export interface PublishIn {
  readonly qos: number;
  /** Present when qos > 0. */
  readonly messageId: number | undefined;
  readonly topic: string;
  readonly payload: Buffer;
}

/** Remaining length bytes (MQTT-2.2.3): at most 268,435,455. */
function lengthBytes(length: number): number {
  return length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4;
}

function writeLength(buffer: Buffer, offset: number, length: number): number {
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    buffer[offset] = byte;
    offset += 1;
  } while (rest > 0);
  return offset;
}

/** PUBLISH, QoS 1, no DUP, no RETAIN [MQTT-3.3]: topic (UTF-8, length-prefixed), packet id, payload. */
export function encodePublishQos1(topic: Buffer, messageId: number, payload: string): Buffer {
  const payloadBytes = Buffer.byteLength(payload);
  const remaining = 2 + topic.length + 2 + payloadBytes;
  const frame = Buffer.allocUnsafe(1 + lengthBytes(remaining) + remaining);
  frame[0] = (PACKET_TYPE.publish << 4) | 0b0010;
  let offset = writeLength(frame, 1, remaining);
  offset = frame.writeUInt16BE(topic.length, offset);
  offset += topic.copy(frame, offset);
  offset = frame.writeUInt16BE(messageId, offset);
  frame.write(payload, offset, "utf8");
  return frame;
}

/** PUBACK [MQTT-3.4]: the packet id of the QoS 1 PUBLISH it acknowledges. */
export function encodePuback(messageId: number): Buffer {
  const frame = Buffer.allocUnsafe(4);
  frame[0] = PACKET_TYPE.puback << 4;
  frame[1] = 2;
  frame.writeUInt16BE(messageId, 2);
  return frame;
}

/** PUBLISH body -> topic, packet id, payload; throws on a body too short for what it declares. */
export function decodePublish(frame: MqttFrame): PublishIn {
  const qos = (frame.flags >> 1) & 0b11;
  const body = frame.body;
  if (body.length < 2) throw new Error("PUBLISH without a topic length");
  const topicEnd = 2 + body.readUInt16BE(0);
  const idEnd = qos > 0 ? topicEnd + 2 : topicEnd;
  if (body.length < idEnd) throw new Error("PUBLISH shorter than its topic and packet id");
  return {
    qos,
    messageId: qos > 0 ? body.readUInt16BE(topicEnd) : undefined,
    topic: body.toString("utf8", 2, topicEnd),
    payload: body.subarray(idEnd),
  };
}

/** PUBACK body -> the packet id it acknowledges. */
export function decodePuback(frame: MqttFrame): number {
  if (frame.body.length < 2) throw new Error("PUBACK without a packet id");
  return frame.body.readUInt16BE(0);
}

/** Cuts a TCP byte stream into MQTT frames; refuses a frame announcing more than `frameBytesMax`. */
export class MqttFrameReader {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly frameBytesMax: number) {}

  /** Feeds bytes; returns the frames they complete, in order. */
  push(chunk: Buffer): MqttFrame[] {
    let pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: MqttFrame[] = [];
    for (;;) {
      if (pending.length < 2) break;
      let remaining = 0;
      let multiplier = 1;
      let offset = 1;
      let complete = false;
      while (offset < pending.length && offset <= 4) {
        const byte = pending[offset]!;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        offset += 1;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (offset > 4) throw new Error("MQTT remaining length longer than 4 bytes");
        break;
      }
      if (remaining > this.frameBytesMax) throw new Error(`MQTT frame of ${remaining} bytes, more than ${this.frameBytesMax}`);
      if (pending.length < offset + remaining) break;
      frames.push({ type: pending[0]! >> 4, flags: pending[0]! & 0x0f, body: pending.subarray(offset, offset + remaining) });
      pending = pending.subarray(offset + remaining);
    }
    this.#pending = pending;
    return frames;
  }
}
