/**
 * Login admission (issue 23): the pure core under an injected clock, then the shell in the real
 * embedded aedes with mqtt.js over TCP: one login starts, the next waits, the one after is refused
 * with CONNACK 3 ("server unavailable"), and /metrics counts each.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoginAdmission, type AdmissionPolicy } from "../../src/broker/login-admission.js";
import { enrollRegister, scrapeMetricsText } from "../../src/index.js";
import { enrollSecondRegister, startTestServer, type TestServer } from "../helpers/test-server.js";

const POLICY: AdmissionPolicy = { loginsPerSecondMax: 10, loginBurstMax: 2, loginsInFlightMax: 3, loginQueueMax: 3, loginQueueWaitMsMax: 1_000 };

describe("login admission (pure, injected clock)", () => {
  it("starts a burst at once, queues the rest up to the bound, refuses past it", () => {
    const admission = new LoginAdmission<string>(POLICY, 0);
    expect(["a", "b", "c", "d", "e", "f"].map((login) => admission.offer(login, 0))).toEqual(["admitted", "admitted", "queued", "queued", "queued", "refused"]);
    expect(admission.queueDepth).toBe(3);
    expect(admission.inFlight).toBe(2);
    expect(admission.counts).toEqual({ admittedAtOnce: 2, queued: 3, admittedFromQueue: 0, refusedQueueFull: 1, refusedWaitedTooLong: 0 });
  });

  it("lets the queue through at the refill rate, in order, and says when to look again", () => {
    const admission = new LoginAdmission<string>(POLICY, 0);
    for (const login of ["a", "b", "c", "d", "e"]) admission.offer(login, 0);
    expect(admission.drain(0)).toEqual({ admit: [], expire: [], nextInMs: 100 }); // no token until 100 ms (10/s)
    expect(admission.drain(99)).toMatchObject({ admit: [] });
    // Three in flight (a, b, c): a fourth waits for one to finish even with tokens to spare, at the
    // latest until the head of the queue (d, queued at 0) has waited 1,000 ms.
    expect(admission.drain(100)).toEqual({ admit: ["c"], expire: [], nextInMs: 900 });
    expect(admission.drain(500)).toEqual({ admit: [], expire: [], nextInMs: 500 });
    admission.finished();
    expect(admission.drain(500)).toEqual({ admit: ["d"], expire: [], nextInMs: 500 });
    admission.finished();
    admission.finished();
    expect(admission.drain(500)).toEqual({ admit: ["e"], expire: [], nextInMs: undefined });
    // The bucket holds at most 2 (the burst), and d and e took them: a login now waits for the next token.
    expect(admission.offer("f", 500)).toBe("queued");
    expect(admission.drain(600)).toEqual({ admit: ["f"], expire: [], nextInMs: undefined });
    // With the queue empty, a free slot (d done) and a token, a new login starts at once.
    admission.finished();
    expect(admission.offer("g", 700)).toBe("admitted");
    expect(admission.counts).toMatchObject({ admittedAtOnce: 3, queued: 4, admittedFromQueue: 4 });
  });

  it("refuses a login that waited too long (its client would give up) and keeps the order of the rest", () => {
    const admission = new LoginAdmission<string>({ ...POLICY, loginBurstMax: 1, loginsInFlightMax: 1 }, 0);
    expect(admission.offer("a", 0)).toBe("admitted");
    expect(admission.offer("b", 0)).toBe("queued");
    expect(admission.offer("c", 600)).toBe("queued");
    expect(admission.drain(999)).toEqual({ admit: [], expire: [], nextInMs: 1 }); // a still in flight; b expires at 1,000
    expect(admission.drain(1_000)).toEqual({ admit: [], expire: ["b"], nextInMs: 600 });
    admission.finished();
    expect(admission.drain(1_200)).toEqual({ admit: ["c"], expire: [], nextInMs: undefined });
    expect(admission.counts.refusedWaitedTooLong).toBe(1);
  });

  it("never lets more than the rate through over a long storm", () => {
    const admission = new LoginAdmission<number>({ loginsPerSecondMax: 1_000, loginBurstMax: 50, loginsInFlightMax: 1_000_000, loginQueueMax: 1_000_000, loginQueueWaitMsMax: 60_000 }, 0);
    let started = 0;
    for (let ms = 0; ms < 10_000; ms += 1) {
      for (let i = 0; i < 5; i += 1) if (admission.offer(ms * 5 + i, ms) === "admitted") started += 1;
      started += admission.drain(ms).admit.length;
    }
    // 10 s at 1,000/s plus the first burst, never more; the rest still waits.
    expect(started).toBeLessThanOrEqual(10_000 + 50);
    expect(started).toBeGreaterThanOrEqual(9_990);
    expect(admission.queueDepth).toBe(50_000 - started);
  });

  it("rejects a policy that could never admit anything", () => {
    expect(() => new LoginAdmission({ ...POLICY, loginsPerSecondMax: 0 }, 0)).toThrow(/admission policy/);
  });
});

describe("login admission in the embedded broker (real aedes, mqtt.js over TCP)", () => {
  let t: TestServer;
  let second: { registerId: string; password: string };
  let third: { registerId: string; password: string };
  const clients: mqtt.MqttClient[] = [];
  // One login per 400 ms and one at a time; one may wait. Real time: the broker's admission clock is performance.now.
  const policy: AdmissionPolicy = { loginsPerSecondMax: 2.5, loginBurstMax: 1, loginsInFlightMax: 1, loginQueueMax: 1, loginQueueWaitMsMax: 5_000 };

  beforeAll(async () => {
    t = await startTestServer({ extra: { mqttLoginAdmission: policy } });
    second = await enrollSecondRegister(t.dataDir);
    third = await enrollRegister({ dataDir: t.dataDir, storeId: t.demo.storeId, registerId: "third-reg", name: "Third Register" });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
    await t.stop();
  });

  function login(username: string, password: string): Promise<{ outcome: string; atMs: number }> {
    const startedMs = performance.now();
    return new Promise((resolve) => {
      const client = mqtt.connect(t.server.mqttUrl, { clientId: username, username, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 });
      clients.push(client);
      client.once("connect", () => resolve({ outcome: "connected", atMs: performance.now() - startedMs }));
      client.once("error", (error) => resolve({ outcome: `refused: ${error.message}`, atMs: performance.now() - startedMs }));
    });
  }

  it("one login at once, the next after the refill, the one past the queue gets CONNACK 3; /metrics counts them", async () => {
    const first = login(t.demo.registerId, t.demo.password);
    await new Promise((done) => setTimeout(done, 50));
    const queued = login(second.registerId, second.password);
    await new Promise((done) => setTimeout(done, 50));
    const refused = await login(third.registerId, third.password);
    expect(refused.outcome).toMatch(/^refused: .*Server unavailable/i);
    expect((await first).outcome).toBe("connected");
    const waited = await queued;
    expect(waited.outcome).toBe("connected");
    expect(waited.atMs).toBeGreaterThanOrEqual(250); // its token came 400 ms after the first login's
    // With the queue empty again and the bucket refilled, the refused register gets in on its next try.
    await new Promise((done) => setTimeout(done, 450));
    expect((await login(third.registerId, third.password)).outcome).toBe("connected");

    const metrics = await scrapeMetricsText(t.server.operatorUrl);
    const count = (decision: string) => Number(new RegExp(`^codepay_mqtt_login_admissions_total\\{decision="${decision}"\\} (\\d+)$`, "m").exec(metrics)?.[1]);
    expect(count("admitted_at_once")).toBe(2);
    expect(count("queued")).toBe(1);
    expect(count("admitted_from_queue")).toBe(1);
    expect(count("refused_queue_full")).toBe(1);
    expect(count("refused_waited_too_long")).toBe(0);
    expect(metrics).toMatch(/^codepay_mqtt_login_queue_depth 0$/m);
  });
});
