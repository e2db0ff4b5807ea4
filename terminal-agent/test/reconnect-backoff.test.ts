/**
 * The link's reconnect schedule (issue 23): exponential backoff with full jitter, under an injected
 * random source and clock; then the real link (mqtt.js against aedes over TCP) retrying by that
 * schedule after refused CONNACKs ("server unavailable") and a dropped connection.
 */
import net from "node:net";
import { Aedes, type AuthenticateError } from "aedes";
import { afterEach, describe, expect, it } from "vitest";
import { ReconnectBackoff, backoffWindowMs, connectFailureOf, fullJitterDelayMs, type BackoffBounds } from "../src/core/reconnect-backoff.js";
import { mqttConnectionStableMs, mqttReconnectDelayMsMax, mqttReconnectDelayMsMin, mqttReconnectUnreachableDelayMsMax } from "../src/core/limits.js";
import { MqttLink } from "../src/link/mqtt-link.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { waitFor } from "./helpers/mock-serial.js";

const BOUNDS: BackoffBounds = {
  delayMsMin: mqttReconnectDelayMsMin,
  delayMsMax: mqttReconnectDelayMsMax,
  unreachableDelayMsMax: mqttReconnectUnreachableDelayMsMax,
  stableAfterMs: mqttConnectionStableMs,
};

/** A scripted random source: the given values in turn, then the last one again. */
function scripted(...values: number[]): () => number {
  let index = 0;
  return () => values[Math.min(index++, values.length - 1)]!;
}

describe("reconnect backoff (pure: injected random source and clock)", () => {
  it("doubles the window from 500 ms up to 30 s and stays there", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50, 5_000].map((attempt) => backoffWindowMs(attempt, BOUNDS))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it("draws each delay uniformly from the whole window (full jitter), never outside it", () => {
    expect(fullJitterDelayMs(3, BOUNDS, () => 0)).toBe(0);
    expect(fullJitterDelayMs(3, BOUNDS, () => 0.5)).toBe(2_000);
    expect(fullJitterDelayMs(3, BOUNDS, () => 0.999_999)).toBe(3_999);
    expect(fullJitterDelayMs(40, BOUNDS, () => 0.999_999)).toBe(29_999);
  });

  it("follows the schedule retry after retry with the random draws it is given", () => {
    const backoff = new ReconnectBackoff(BOUNDS, scripted(0.5, 0.25, 1 - 2 ** -20, 0, 0.5, 0.5, 0.5, 0.1));
    const delays = Array.from({ length: 8 }, () => backoff.nextDelayMs(0));
    // windows 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000
    expect(delays).toEqual([250, 250, 1_999, 0, 4_000, 8_000, 15_000, 3_000]);
    expect(backoff.attempt).toBe(8);
  });

  it("starts over only after a connection stayed up stableAfterMs (the injected clock decides)", () => {
    const backoff = new ReconnectBackoff(BOUNDS, () => 0.5);
    for (let i = 0; i < 4; i += 1) backoff.nextDelayMs(0);
    // Accepted, then dropped 2 s later: the window keeps growing (a server that accepts and drops is not healthy).
    backoff.connected(10_000);
    expect(backoff.nextDelayMs(12_000)).toBe(4_000); // attempt 4: window 8,000
    backoff.connected(20_000);
    expect(backoff.nextDelayMs(20_000 + mqttConnectionStableMs)).toBe(250); // stable: back to the 500 ms window
    expect(backoff.attempt).toBe(1);
  });

  it("caps the window at 4 s while nothing listens (ECONNREFUSED); once the server answers, only its own refusals widen the window", () => {
    expect(connectFailureOf("ECONNREFUSED")).toBe("unreachable");
    expect(connectFailureOf("ECONNREFUSED", true)).toBe("unreachable");
    for (const code of ["ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", undefined]) expect(connectFailureOf(code)).toBe("other");
    // Reset before the CONNACK: the kernel's answer while the accept queue is full; the server never read the login.
    expect(connectFailureOf("ECONNRESET", true)).toBe("unreachable");
    for (const code of ["ETIMEDOUT", "EHOSTUNREACH", "EPIPE", undefined]) expect(connectFailureOf(code, true)).toBe("other");
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffWindowMs(attempt, BOUNDS, "unreachable"))).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    const backoff = new ReconnectBackoff(BOUNDS, () => 0.999_999);
    // A server restarting for a minute: 12 refused connects, none waits 4 s or more.
    const whileDown = Array.from({ length: 12 }, () => backoff.nextDelayMs(0, "unreachable"));
    expect(Math.max(...whileDown)).toBe(3_999);
    // It listens again but refuses the login (CONNACK 3): the window starts at 500 ms, since the refused
    // connects cost the server nothing, and doubles with each refusal the server itself sends.
    expect([0, 1, 2, 3].map(() => backoff.nextDelayMs(0, "other"))).toEqual([499, 999, 1_999, 3_999]);
    // It goes down again: still at most 4 s between knocks; and the next refusal continues where the refusals left off.
    expect(backoff.nextDelayMs(0, "unreachable")).toBe(3_999);
    expect(backoff.nextDelayMs(0, "other")).toBe(7_999);
    expect(backoff.attempt).toBe(18);
  });

  it("spreads 20,000 registers that lost the server at once over the window instead of one instant", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const perSecond = new Array<number>(8).fill(0);
    for (let register = 0; register < 20_000; register += 1) {
      const backoff = new ReconnectBackoff(BOUNDS, random);
      for (let attempt = 0; attempt < 3; attempt += 1) backoff.nextDelayMs(0);
      perSecond[Math.floor(backoff.nextDelayMs(0) / 1_000)]! += 1; // the 4th retry: window 4 s
    }
    // A uniform spread: about 5,000 per second of the 4 s window, none beyond it.
    for (const count of perSecond.slice(0, 4)) expect(count).toBeGreaterThan(4_700), expect(count).toBeLessThan(5_300);
    expect(perSecond.slice(4).every((count) => count === 0)).toBe(true);
  });
});

describe("the link reconnects by that schedule (real mqtt.js, aedes over TCP)", () => {
  let broker: Aedes | undefined;
  let listener: net.Server | undefined;
  let link: MqttLink | undefined;

  afterEach(async () => {
    await link?.stop();
    if (broker !== undefined) await new Promise<void>((resolve) => broker!.close(() => resolve()));
    if (listener !== undefined) await new Promise<void>((resolve) => listener!.close(() => resolve()));
    link = broker = listener = undefined;
  });

  it("after two CONNACK 3 (server unavailable) and a dropped connection it comes back, with jittered delays", async () => {
    let refusalsLeft = 2;
    const attempts: number[] = [];
    broker = await Aedes.createBroker({
      authenticate: (_client, _username, _password, done) => {
        attempts.push(performance.now());
        if (refusalsLeft > 0) {
          refusalsLeft -= 1;
          return done(Object.assign(new Error("busy"), { returnCode: 3 }) as AuthenticateError, false);
        }
        done(null, true);
      },
    });
    listener = net.createServer(broker.handle);
    await new Promise<void>((resolve) => listener!.listen(0, "127.0.0.1", resolve));
    const url = `mqtt://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
    const { logger } = captureLogger();
    // Every draw 0.4: delays 200, 400 ms (windows 500, 1000), then after the drop 800 (window 2000: the
    // connection was up far less than stableAfterMs, so the schedule does not start over).
    link = new MqttLink({ url, storeId: "s", registerId: "reg-backoff", password: "pw", logger, now: () => Date.now(), random: () => 0.4 }, () => undefined);
    link.start();
    await waitFor(() => link!.isUp || undefined, "link up after two refusals", 5_000);
    expect(attempts).toHaveLength(3);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(195);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(395);
    // The server drops the connection: the link notices and comes back on its own.
    const client = (broker as unknown as { clients: Record<string, { close(): void } | undefined> }).clients["reg-backoff"];
    client!.close();
    await waitFor(() => !link!.isUp || undefined, "link down");
    await waitFor(() => link!.isUp || undefined, "link up again", 5_000);
    expect(attempts).toHaveLength(4);
    expect(attempts[3]! - attempts[2]!).toBeGreaterThanOrEqual(795);
  });

  it("a connection reset before its CONNACK (what a full accept queue answers) counts like a refused connect", async () => {
    const resetter = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resetter.listen(0, "127.0.0.1", resolve));
    const { port } = resetter.address() as net.AddressInfo;
    const { logger, text } = captureLogger();
    link = new MqttLink({ url: `mqtt://127.0.0.1:${port}`, storeId: "s", registerId: "reg-reset", password: "pw", logger, now: () => Date.now(), random: () => 0.999 }, () => undefined);
    try {
      link.start();
      const scheduled = (): { delayMs: number; failure: string }[] =>
        text()
          .split("\n")
          .filter((line) => line.includes("mqtt reconnect scheduled"))
          .map((line) => JSON.parse(line) as { delayMs: number; failure: string });
      await waitFor(() => scheduled().length >= 4 || undefined, "four reset connects", 15_000);
      expect(scheduled().slice(0, 4)).toEqual([499, 999, 1_998, 3_996].map((delayMs) => expect.objectContaining({ delayMs, failure: "unreachable" })));
    } finally {
      await link.stop();
      link = undefined;
      await new Promise<void>((resolve) => resetter.close(() => resolve()));
    }
  }, 20_000);

  it("while nothing listens on the port it knocks again within 4 s each time, however long it has tried", async () => {
    // A port that was just free: connects to it are refused (ECONNREFUSED) by the kernel.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { logger, text } = captureLogger();
    // Every draw at the top of its window: 500, 1000, 2000, then 4000 (not 8000, 16000...).
    link = new MqttLink({ url: `mqtt://127.0.0.1:${port}`, storeId: "s", registerId: "reg-down", password: "pw", logger, now: () => Date.now(), random: () => 0.999 }, () => undefined);
    link.start();
    const scheduled = (): { msg: string; delayMs: number; failure: string }[] =>
      text()
        .split("\n")
        .filter((line) => line.includes("mqtt reconnect scheduled"))
        .map((line) => JSON.parse(line) as { msg: string; delayMs: number; failure: string });
    await waitFor(() => scheduled().length >= 5 || undefined, "five refused connects", 15_000);
    const delays = scheduled().map((line) => line.delayMs);
    expect(delays.slice(0, 5)).toEqual([499, 999, 1_998, 3_996, 3_996]);
    expect(scheduled().every((line) => line.failure === "unreachable")).toBe(true);
  }, 20_000);
});
