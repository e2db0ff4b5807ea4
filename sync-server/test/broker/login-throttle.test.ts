/**
 * Failed MQTT logins are throttled before the password check (SECURITY.md): real mqtt.js clients
 * over TCP loopback against the embedded aedes. After a few failures for one username from one
 * address, even the right password is refused with no CONNACK and no scrypt (the log shows no
 * password check), until the backoff passes on the server's clock; other registers from the same
 * address go on, until the looser per-address cap is reached too (a store's NAT shares it).
 */
import { Writable } from "node:stream";
import mqtt from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoginThrottle, type LoginThrottlePolicy } from "../../src/broker/login-throttle.js";
import { tryLogin } from "../helpers/mqtt-login.js";
import { enrollSecondRegister, startTestServer, type TestServer } from "../helpers/test-server.js";

const POLICY: LoginThrottlePolicy = {
  perAddressAndUsername: { freeFailures: 3, delayMsBase: 1_000, delayMsMax: 8_000, lockoutFailures: 6, lockoutMs: 60_000, windowMs: 600_000 },
  perAddress: { freeFailures: 8, delayMsBase: 1_000, delayMsMax: 8_000, lockoutFailures: 30, lockoutMs: 60_000, windowMs: 600_000 },
};

describe("login throttle (pure)", () => {
  it("per address and username, then per address; a success clears only its own username", () => {
    const throttle = new LoginThrottle(POLICY);
    for (let i = 0; i < 3; i += 1) throttle.failed("10.0.0.1", "reg-a", 0);
    expect(throttle.check("10.0.0.1", "reg-a", 0)).toEqual({ refused: false });
    throttle.failed("10.0.0.1", "reg-a", 0);
    expect(throttle.check("10.0.0.1", "reg-a", 0)).toEqual({ refused: true, retryAfterMs: 1_000, scope: "address and username" });
    expect(throttle.check("10.0.0.1", "reg-b", 0)).toEqual({ refused: false });
    expect(throttle.check("10.0.0.2", "reg-a", 0)).toEqual({ refused: false });
    expect(throttle.check("10.0.0.1", "reg-a", 1_000)).toEqual({ refused: false });
    throttle.succeeded("10.0.0.1", "reg-a");
    for (let i = 0; i < 5; i += 1) throttle.failed("10.0.0.1", `ghost-${i}`, 2_000); // 9 from the address
    expect(throttle.check("10.0.0.1", "reg-b", 2_000)).toEqual({ refused: true, retryAfterMs: 1_000, scope: "address" });
    expect(throttle.check("10.0.0.1", "reg-a", 2_000)).toMatchObject({ refused: true, scope: "address" }); // its success did not clear the address
  });
});

describe("MQTT logins throttled before the password check (real aedes, mqtt.js over TCP)", () => {
  let t: TestServer;
  let second: { registerId: string; password: string };
  const logLines: string[] = [];
  const logger = pino({ level: "info" }, new Writable({ write: (chunk: Buffer, _e, done) => (logLines.push(chunk.toString()), done()) }));
  const clients: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    t = await startTestServer({ extra: { mqttLoginThrottle: POLICY, logger } });
    second = await enrollSecondRegister(t.dataDir);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
    await t.stop();
  });

  const login = (username: string, password: string): Promise<string> => tryLogin(t.server.mqttUrl, username, password, clients);

  const passwordChecks = () => logLines.filter((line) => /register connected|register connection refused/.test(line)).length;
  const throttled = () => logLines.filter((line) => line.includes("MQTT login throttled")).length;

  it("after 4 wrong passwords even the right one is refused with no CONNACK and no password check; after the backoff it logs in", async () => {
    for (let i = 0; i < 4; i += 1) expect(await login(t.demo.registerId, `wrong-${i}`)).toMatch(/^refused: .*Bad username or password/i);
    const checksBefore = passwordChecks();
    expect(await login(t.demo.registerId, t.demo.password)).toBe("closed");
    expect(passwordChecks()).toBe(checksBefore);
    expect(throttled()).toBe(1);
    expect(logLines.at(-1)).toMatch(/"scope":"address and username".*"retryAfterS":1/);
    // Another register behind the same address is not held back by demo-reg's failures.
    expect(await login(second.registerId, second.password)).toBe("connected");
    t.advance(1_000);
    expect(await login(t.demo.registerId, t.demo.password)).toBe("connected");
  });

  it("past the looser per-address cap every username from the address waits, the right password too", async () => {
    // 4 failures so far from 127.0.0.1; 5 unknown usernames make 9, past the 8 free.
    for (let i = 0; i < 5; i += 1) expect(await login(`ghost-${i}`, "guess")).toMatch(/^refused: /);
    const checksBefore = passwordChecks();
    expect(await login(second.registerId, second.password)).toBe("closed");
    expect(passwordChecks()).toBe(checksBefore);
    expect(logLines.at(-1)).toMatch(/"scope":"address"/);
    t.advance(1_000);
    expect(await login(second.registerId, second.password)).toBe("connected");
  });
});
