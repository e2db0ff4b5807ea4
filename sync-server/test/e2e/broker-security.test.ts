/** The broker's gate: who may connect, and which topics each register may use. Real aedes over TCP. */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downTopic, upTopic } from "@codepay/contract";
import { newRequestId, RegisterClient } from "../helpers/register-client.js";
import { enrollSecondRegister, startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
let other: { storeId: string; registerId: string; password: string };

beforeAll(async () => {
  t = await startTestServer();
  other = await enrollSecondRegister(t.dataDir);
});

afterAll(async () => {
  await t.stop();
});

/** Connects once without retrying; resolves with the CONNACK refusal code, or 0 if accepted. */
async function connectReturnCode(options: mqtt.IClientOptions): Promise<number> {
  const client = mqtt.connect(t.server.mqttUrl, { reconnectPeriod: 0, ...options });
  const code = await new Promise<number>((resolve) => {
    client.once("connect", () => resolve(0));
    client.once("error", (error) => resolve(Number((error as { code?: unknown }).code ?? -1)));
  });
  await client.endAsync(true);
  return code;
}

describe("broker authentication", () => {
  it("accepts the enrolled register with its password", async () => {
    expect(await connectReturnCode({ clientId: "demo-reg-1", username: "demo-reg-1", password: t.demo.password })).toBe(0);
  });

  it("refuses a wrong password, an unknown register and an anonymous client with 'bad username or password'", async () => {
    expect(await connectReturnCode({ clientId: "demo-reg-1", username: "demo-reg-1", password: "wrong-password" })).toBe(4);
    expect(await connectReturnCode({ clientId: "nobody", username: "nobody", password: t.demo.password })).toBe(4);
    expect(await connectReturnCode({ clientId: "anon" })).toBe(4);
  });

  it("refuses a client id that is not the register id", async () => {
    expect(await connectReturnCode({ clientId: "someone-else", username: "demo-reg-1", password: t.demo.password })).toBe(2);
  });

  it("refuses another register's password", async () => {
    expect(await connectReturnCode({ clientId: "demo-reg-1", username: "demo-reg-1", password: other.password })).toBe(4);
  });
});

describe("broker ACL", () => {
  it("refuses register A a subscription to B's down topic and to wildcards", async () => {
    const a = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
    // mqtt.js rejects when the SUBACK refuses a filter; the refusal codes ride on the error's packet.
    const refusal = await a.client.subscribeAsync([downTopic(other.storeId, other.registerId), "codepay/v1/#", "codepay/v1/+/+/down"], { qos: 1 }).then(
      () => undefined,
      (error: { packet?: { granted?: unknown } }) => error.packet?.granted,
    );
    expect(refusal).toEqual([128, 128, 128]);
    await a.close();
  });

  it("disconnects register A when it publishes to B's up topic, and B's line never sees the request", async () => {
    const a = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
    const b = await RegisterClient.connect(t.server.mqttUrl, other.storeId, other.registerId, other.password);
    const closed = new Promise<void>((resolve) => a.client.once("close", () => resolve()));
    const paymentId = `forged-${newRequestId().slice(0, 8)}`;
    a.client.publish(upTopic(other.storeId, other.registerId), JSON.stringify({ v: 1, type: "payment.create", requestId: newRequestId(), paymentId, amount: { minor: 1, currency: "JPY" } }), { qos: 1 });
    await closed;
    // B's requests are handled in order, so had the forged request got through it would be answered first.
    const status = await b.request({ type: "payment.status", paymentId });
    expect(status).toMatchObject({ type: "error", error: { code: "PAYMENT_NOT_FOUND" } });
    expect(b.received.some((m) => m.type === "payment.issued")).toBe(false);
    await a.close();
    await b.close();
  });

  it("refuses a register's request about another register's payment", async () => {
    const a = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
    const b = await RegisterClient.connect(t.server.mqttUrl, other.storeId, other.registerId, other.password);
    const paymentId = `b-owned-${newRequestId().slice(0, 8)}`;
    expect(await b.request({ type: "payment.create", paymentId, amount: { minor: 5, currency: "JPY" } })).toMatchObject({ type: "payment.issued" });
    expect(await a.request({ type: "payment.cancel", paymentId })).toMatchObject({ type: "error", error: { code: "PAYMENT_NOT_FOUND" } });
    expect(await b.request({ type: "payment.status", paymentId })).toMatchObject({ type: "payment.state", state: "pending" });
    await a.close();
    await b.close();
  });
});
