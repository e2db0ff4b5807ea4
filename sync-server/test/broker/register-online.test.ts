/**
 * "Register online" (the cue to resend what it has not acknowledged) fires once per connection: at
 * CONNACK when the register's persistent session brought its down subscription back, else at its
 * SUBSCRIBE to it; never at both (issue 23: each announcement reads the outbox). Real embedded aedes
 * over TCP with the real login hooks on a real SQLite file, real mqtt.js clients.
 */
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downTopic } from "@codepay/contract";
import { createStore, enrollRegister, silentLogger } from "../../src/index.js";
import { openDatabase } from "../../src/parts.js";
import { openRegisterKey } from "../../src/auth/register-key.js";
import { createBrokerHooks } from "../../src/broker/broker-hooks.js";
import { startMqttBroker, type MqttBroker } from "../../src/broker/mqtt-broker.js";
import { AedesRegisterLine } from "../../src/broker/aedes-register-line.js";
import type { Db } from "../../src/db/database.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const STORE = "online-store";
const dir = makeTempDir();
let db: Db;
let broker: MqttBroker;
const online: string[] = [];
const passwords = new Map<string, string>();

beforeAll(async () => {
  await createStore({ dataDir: dir.path, id: STORE, name: "Online Store", currency: "JPY" });
  for (const registerId of ["reg-a", "reg-b", "reg-c"]) passwords.set(registerId, (await enrollRegister({ dataDir: dir.path, storeId: STORE, registerId, name: registerId })).password);
  db = await openDatabase(dir.path);
  const { key } = await openRegisterKey(db, dir.path);
  const hooks = createBrokerHooks(db, silentLogger(), { registerKey: key });
  broker = await startMqttBroker({ host: "127.0.0.1", port: 0, hooks });
  const line = new AedesRegisterLine(broker.aedes, hooks, silentLogger());
  line.onRegisterOnline((register) => online.push(register.registerId));
  await line.start();
});

afterAll(async () => {
  await broker.close();
  await db.destroy();
  dir.remove();
});

function connect(registerId: string, clean: boolean): Promise<MqttClient> {
  return mqtt.connectAsync(broker.url, { clientId: registerId, username: registerId, password: passwords.get(registerId)!, clean, reconnectPeriod: 0 });
}

/** Lets the broker's events for what was just sent run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe("register online, once per connection", () => {
  it("first connection: online at the SUBSCRIBE to its down topic, and only once when it subscribes again", async () => {
    const client = await connect("reg-a", false);
    await settle();
    expect(online.filter((id) => id === "reg-a")).toHaveLength(0); // connected, but nothing could reach it yet
    await client.subscribeAsync(downTopic(STORE, "reg-a"), { qos: 1 });
    await settle();
    expect(online.filter((id) => id === "reg-a")).toHaveLength(1);
    await client.subscribeAsync(downTopic(STORE, "reg-a"), { qos: 1 });
    await settle();
    expect(online.filter((id) => id === "reg-a")).toHaveLength(1);
    await client.endAsync();
  });

  it("a resumed session: online at CONNACK, and the agent's usual SUBSCRIBE after it does not announce again", async () => {
    const first = await connect("reg-b", false);
    await first.subscribeAsync(downTopic(STORE, "reg-b"), { qos: 1 });
    await first.endAsync();
    await settle();
    expect(online.filter((id) => id === "reg-b")).toHaveLength(1);

    const resumed = await connect("reg-b", false);
    await settle();
    expect(online.filter((id) => id === "reg-b")).toHaveLength(2); // the session's subscription is back: resend now
    await resumed.subscribeAsync(downTopic(STORE, "reg-b"), { qos: 1 }); // what the agent does on every connect
    await settle();
    expect(online.filter((id) => id === "reg-b")).toHaveLength(2);
    await resumed.endAsync();
  });

  it("a clean session that never subscribes its down topic is never announced", async () => {
    const client = await connect("reg-c", true);
    await settle();
    await client.endAsync();
    expect(online.filter((id) => id === "reg-c")).toHaveLength(0);
  });
});
