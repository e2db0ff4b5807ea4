/**
 * The runtime follows each publish until its PUBACK (POST /v1/payments waits on its create's). That
 * map must stay bounded: a long series of requests leaves it empty, and a broker that withholds its
 * PUBACKs (stalled, or a reconnect refused) cannot grow it past its bound. Real aedes over TCP with
 * an authorizePublish hook that can hold PUBACKs back, the real MqttLink (mqtt.js) and a real journal.
 */
import net from "node:net";
import { Aedes } from "aedes";
import { afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "@codepay/contract";
import { Journal } from "../src/journal/journal.js";
import { MqttLink } from "../src/link/mqtt-link.js";
import { PaymentRuntime } from "../src/shell/payment-runtime.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";

interface GatedBroker {
  readonly url: string;
  /** Publishes on an up topic the broker has let through (PUBACK sent). */
  readonly passed: () => number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/** aedes sends the PUBACK only after authorizePublish calls back (DESIGN-NOTES "MQTT"), so holding that callback holds the PUBACK. */
async function startGatedBroker(): Promise<GatedBroker> {
  let holding = false;
  let passed = 0;
  const held: (() => void)[] = [];
  const broker = await Aedes.createBroker({
    authorizePublish(_client, packet, done) {
      const pass = () => {
        if (packet.topic.endsWith("/up")) passed += 1;
        done(null);
      };
      if (holding && packet.topic.endsWith("/up")) held.push(pass);
      else pass();
    },
  });
  const listener = net.createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  return {
    url: `mqtt://127.0.0.1:${(listener.address() as net.AddressInfo).port}`,
    passed: () => passed,
    hold: () => void (holding = true),
    release: () => {
      holding = false;
      for (const pass of held.splice(0)) pass();
    },
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(sendsTrackedMax?: number): Promise<{ broker: GatedBroker; journal: Journal; runtime: PaymentRuntime; link: MqttLink }> {
  const broker = await startGatedBroker();
  cleanups.push(() => broker.close());
  const { logger } = captureLogger();
  const link = new MqttLink({ url: broker.url, storeId: "shop", registerId: "reg-sends", password: "pw", logger, now: () => 1 }, () => undefined);
  link.start();
  cleanups.push(() => link.stop());
  await waitFor(() => link.isUp || undefined, "link up");
  const journal = Journal.open(":memory:");
  cleanups.push(() => journal.close());
  const runtime = new PaymentRuntime({
    journal,
    link,
    clock: { now: () => 1_000 },
    logger,
    storeName: "Shop",
    registerId: "reg-sends",
    onScreenChange: () => undefined,
    ...(sendsTrackedMax !== undefined ? { sendsTrackedMax } : {}),
  });
  return { broker, journal, runtime, link };
}

/** Queues `count` report requests in the journal's outbox (requests that belong to no payment). */
function queueReports(journal: Journal, link: MqttLink, round: number, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const requestId = `report-${String(round).padStart(3, "0")}-${String(i).padStart(4, "0")}`;
    journal.queueReportRequest({ v: PROTOCOL_VERSION, type: "report.request", requestId, kind: "x" }, link.requestTopic, 1_000);
    ids.push(requestId);
  }
  return ids;
}

describe("publishes followed until their PUBACK", () => {
  it("a long series of requests (20 rounds of 100) leaves nothing behind", async () => {
    const { broker, journal, runtime, link } = await setUp();
    let largest = 0;
    for (let round = 0; round < 20; round += 1) {
      const ids = queueReports(journal, link, round, 100);
      runtime.resendUnanswered(true);
      largest = Math.max(largest, runtime.sendsInFlight);
      await waitFor(() => broker.passed() === (round + 1) * 100 || undefined, `round ${round} at the broker`);
      await waitFor(() => runtime.sendsInFlight === 0 || undefined, `round ${round} PUBACKs`);
      for (const id of ids) journal.markAnswered(id, 1_000); // as if the server had answered
    }
    expect(broker.passed()).toBe(2_000);
    expect(largest).toBeLessThanOrEqual(100);
    expect(runtime.sendsInFlight).toBe(0);
  });

  it("PUBACKs withheld: the map stops at its bound; released, it empties", async () => {
    const { broker, journal, runtime, link } = await setUp(10);
    broker.hold();
    queueReports(journal, link, 0, 100);
    runtime.resendUnanswered(true);
    expect(runtime.sendsInFlight).toBe(10);
    runtime.resendUnanswered(true); // the outbox resends the same 100: still 10
    expect(runtime.sendsInFlight).toBe(10);
    broker.release();
    await waitFor(() => runtime.sendsInFlight === 0 || undefined, "PUBACKs after release");
    expect(runtime.sendsInFlight).toBe(0);
  });
});
