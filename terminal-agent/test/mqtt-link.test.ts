import { afterEach, describe, expect, it } from "vitest";
import { statusTopic, type Presence, type ServerMessage } from "@codepay/contract";
import { MqttLink } from "../src/link/mqtt-link.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";
import { startStandInServer } from "./helpers/stand-in-server.js";
import type { StandInServer } from "./helpers/stand-in-server.js";

let server: StandInServer | undefined;
let link: MqttLink | undefined;
let release: () => void = () => undefined;

afterEach(async () => {
  release();
  await link?.stop();
  await server?.close();
  link = undefined;
  server = undefined;
});

const issued: ServerMessage = {
  v: 1,
  type: "payment.issued",
  inReplyTo: "req-00000001",
  paymentId: "pay-00000001",
  code: "4829137",
  amount: { minor: 1200, currency: "JPY" },
  expiresAt: 1,
  storeName: "Demo Store",
};

describe("MQTT link", () => {
  it("sends the PUBACK of a server message only after the handler (the journal write) has finished", async () => {
    server = await startStandInServer();
    server.answering = false;
    const pubacks: unknown[] = [];
    server.broker.on("ack", (packet, client) => {
      if (client?.id === "reg-link" && packet && "topic" in packet && packet.topic.endsWith("/down")) pubacks.push(packet);
    });
    const handled: ServerMessage[] = [];
    const { logger } = captureLogger();
    link = new MqttLink({ url: server.url, storeId: "demo-store", registerId: "reg-link", password: "pw", logger, now: () => 1 }, (message) => {
      handled.push(message);
      return new Promise<void>((resolve) => (release = resolve));
    });
    link.start();
    await waitFor(() => link!.isUp || undefined, "link up");
    await server.send("demo-store", "reg-link", issued);
    await waitFor(() => handled.length === 1 || undefined, "handler called");
    // Barrier: a publish the link sends now travels the same ordered connection, so once the server
    // hears it, any PUBACK the link had already sent for the server message has reached the broker.
    // (Not awaited: mqtt.js reads no incoming packet, not even this PUBACK, until the handler is done.)
    const barrier = link.publish({ v: 1, type: "payment.status", requestId: "req-barrier-1", paymentId: "pay-00000001" });
    await waitFor(() => server!.requests.some((request) => request.requestId === "req-barrier-1") || undefined, "barrier at the server");
    expect(pubacks).toHaveLength(0);
    release();
    await barrier;
    await waitFor(() => pubacks.length === 1 || undefined, "PUBACK after the handler");
    expect(handled).toEqual([issued]);
  });

  it("ignores malformed messages and keeps the session", async () => {
    server = await startStandInServer();
    const handled: ServerMessage[] = [];
    const { logger, text } = captureLogger();
    link = new MqttLink({ url: server.url, storeId: "demo-store", registerId: "reg-link2", password: "pw", logger, now: () => 1 }, (message) => void handled.push(message));
    link.start();
    await waitFor(() => link!.isUp || undefined, "link up");
    await server.send("demo-store", "reg-link2", "{");
    await server.send("demo-store", "reg-link2", JSON.stringify({ ...issued, code: "12ab" }));
    await server.send("demo-store", "reg-link2", issued);
    await waitFor(() => handled.length === 1 || undefined, "valid message handled");
    expect(handled).toEqual([issued]);
    expect(text()).toContain("payload is not JSON");
    expect(text()).toContain("code:");
    expect(link.isUp).toBe(true);
  });

  it("reports its presence with its version and devices, again only when a device changes; goodbye without them", async () => {
    server = await startStandInServer();
    const heard: Presence[] = [];
    server.broker.subscribe(statusTopic("demo-store", "reg-status"), (packet, done) => {
      heard.push(JSON.parse(packet.payload.toString()) as Presence);
      done();
    }, () => undefined);
    const { logger } = captureLogger();
    link = new MqttLink({ url: server.url, storeId: "demo-store", registerId: "reg-status", password: "pw", logger, now: () => 7, agentVersion: "1.2.3" }, () => undefined);
    link.setDevices({ printer: "online" }); // before the connection: sent with the first presence
    link.start();
    await waitFor(() => heard.length === 1 || undefined, "online presence");
    expect(heard[0]).toEqual({ v: 1, type: "presence", state: "online", at: 7, agentVersion: "1.2.3", devices: { printer: "online" } });
    link.setDevices({ printer: "online" }); // unchanged: nothing sent
    link.setDevices({ printer: "paper-near-end" });
    await waitFor(() => heard.length === 2 || undefined, "presence after a device change");
    expect(heard[1]).toMatchObject({ state: "online", devices: { printer: "paper-near-end" } });
    await link.stop();
    await waitFor(() => heard.length === 3 || undefined, "goodbye");
    expect(heard[2]).toEqual({ v: 1, type: "presence", state: "offline", at: 7 });
  });
});
