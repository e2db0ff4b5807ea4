/** The bench register's hand-framed MQTT frames, checked against mqtt-packet both ways. */
import { generate, parser } from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { MqttFrameReader, PACKET_TYPE, decodePublish, decodePuback, encodePuback, encodePublishQos1 } from "../../src/bench/register-mqtt-frames.js";

function parsedByMqttPacket(bytes: Buffer): unknown[] {
  const packets: unknown[] = [];
  const p = parser({ protocolVersion: 4 });
  p.on("packet", (packet) => packets.push(packet));
  p.on("error", (error) => packets.push(error));
  p.parse(bytes);
  return packets;
}

describe("register MQTT frames", () => {
  it("a QoS 1 PUBLISH, short and long (2-byte remaining length), reads back in mqtt-packet as sent", () => {
    for (const payload of ['{"type":"payment.create"}', `{"pad":"${"x".repeat(300)}","名":"店"}`]) {
      const [packet] = parsedByMqttPacket(encodePublishQos1(Buffer.from("codepay/v1/s/r/up"), 513, payload)) as { cmd: string; qos: number; messageId: number; topic: string; payload: Buffer; retain: boolean; dup: boolean }[];
      expect(packet).toMatchObject({ cmd: "publish", qos: 1, messageId: 513, topic: "codepay/v1/s/r/up", retain: false, dup: false });
      expect(packet!.payload.toString()).toBe(payload);
    }
  });

  it("a PUBACK reads back in mqtt-packet", () => {
    expect(parsedByMqttPacket(encodePuback(65_535))).toMatchObject([{ cmd: "puback", messageId: 65_535 }]);
  });

  it("reads mqtt-packet's frames, cut at every byte, and decodes PUBLISH and PUBACK", () => {
    const payload = Buffer.from(`{"type":"payment.state","pad":"${"y".repeat(200)}"}`);
    const bytes = Buffer.concat([
      generate({ cmd: "connack", returnCode: 0, sessionPresent: false }),
      generate({ cmd: "publish", topic: "codepay/v1/s/r/down", payload, qos: 1, messageId: 7, dup: false, retain: false }),
      generate({ cmd: "puback", messageId: 9 }),
      generate({ cmd: "publish", topic: "t", payload: Buffer.from("q0"), qos: 0, dup: false, retain: false }),
    ]);
    const reader = new MqttFrameReader(4096);
    const frames = [];
    for (let index = 0; index < bytes.length; index += 1) frames.push(...reader.push(bytes.subarray(index, index + 1)));
    expect(frames.map((frame) => frame.type)).toEqual([PACKET_TYPE.connack, PACKET_TYPE.publish, PACKET_TYPE.puback, PACKET_TYPE.publish]);
    expect(frames[0]!.body[1]).toBe(0);
    const publish = decodePublish(frames[1]!);
    expect(publish).toMatchObject({ qos: 1, messageId: 7, topic: "codepay/v1/s/r/down" });
    expect(publish.payload.equals(payload)).toBe(true);
    expect(decodePuback(frames[2]!)).toBe(9);
    expect(decodePublish(frames[3]!)).toMatchObject({ qos: 0, messageId: undefined, topic: "t" });
  });

  it("refuses a frame announcing more than its bound, and a remaining length past 4 bytes", () => {
    expect(() => new MqttFrameReader(100).push(generate({ cmd: "publish", topic: "t", payload: Buffer.alloc(200), qos: 0, dup: false, retain: false }))).toThrow(/more than 100/);
    expect(() => new MqttFrameReader(100).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/longer than 4 bytes/);
  });
});
