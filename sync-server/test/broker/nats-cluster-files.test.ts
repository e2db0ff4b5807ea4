/**
 * What `admin broker files --broker nats` and the node configs say (pure renderers). That nats-server
 * reads them and enforces them is proven against the real cluster: harness/test/scale/
 * broker-cluster-failover.test.ts and harness/test/security/foreign-client-isolation-cluster.test.ts.
 */
import { describe, expect, test } from "vitest";
import {
  INSTANCES_ACCOUNT,
  certificateUser,
  deliverSubject,
  mqttTopic,
  natsSubject,
  registerAccountIndex,
  registerAccountName,
  renderNatsAuthorization,
  renderNatsNodeConfig,
  splitAccountSubject,
  type ClusterNode,
} from "../../src/broker/nats-cluster-files.js";
import { limits } from "../../src/limits.js";

describe("topics and subjects", () => {
  test.each([
    ["codepay/v1/store-1/reg-a/up", "codepay.v1.store-1.reg-a.up"],
    ["codepay/v1/+/+/up", "codepay.v1.*.*.up"],
    ["codepay/v1/store-1/#", "codepay.v1.store-1.>"],
  ])("%s is %s on the NATS side", (topic, subject) => {
    expect(natsSubject(topic)).toBe(subject);
  });

  test("a concrete subject turns back into its topic", () => {
    expect(mqttTopic("codepay.v1.store-1.reg-a.status")).toBe("codepay/v1/store-1/reg-a/status");
  });
});

describe("authorization", () => {
  const text = renderNatsAuthorization(
    [
      { registerId: "reg-a", storeId: "store-1" },
      { registerId: "reg-b", storeId: "store-2" },
    ],
    ["codepay-server-1"],
  );
  const lines = text.split("\n");
  const userLine = (name: string): string => lines.find((line) => line.includes(`user: "${certificateUser(name)}"`)) ?? "";
  /** The lines of one account's block (`NAME: {` to its closing brace at the same depth). */
  const accountBlock = (source: string, name: string): string[] => {
    const all = source.split("\n");
    const first = all.indexOf(`  ${name}: {`);
    const last = all.indexOf("  }", first);
    return first < 0 ? [] : all.slice(first, last + 1);
  };

  test("each register is its certificate's subject, MQTT only, with its own topics spelled out", () => {
    expect(userLine("reg-a")).toBe(
      '      { user: "CN=reg-a", allowed_connection_types: ["MQTT"], permissions: { publish: { allow: ["codepay.v1.store-1.reg-a.up", "codepay.v1.store-1.reg-a.status"] }, subscribe: { allow: ["codepay.v1.store-1.reg-a.down", "$MQTT.sub.>"] } } }',
    );
    expect(userLine("reg-b")).toContain('"codepay.v1.store-2.reg-b.down"');
    // No register line names another register or a wildcard over registers.
    expect(userLine("reg-a")).not.toMatch(/reg-b|\*|codepay\.v1\.[^"]*>/);
  });

  test("a server instance is NATS only: every account's requests and presence in, deliveries into every account's stream out, replies on its inbox", () => {
    expect(userLine("codepay-server-1")).toBe(
      '      { user: "CN=codepay-server-1", allowed_connection_types: ["STANDARD"], permissions: { publish: { allow: ["*.deliver.codepay.v1.*.*.down"] }, subscribe: { allow: ["*.codepay.v1.*.*.up", "*.codepay.v1.*.*.status", "_INBOX.>"] } } }',
    );
    expect(accountBlock(text, INSTANCES_ACCOUNT).join("\n")).toContain('user: "CN=codepay-server-1"');
  });

  test("one register account: it has JetStream, every register, and exports up, status and its QoS 1 message stream; the instances import them under a0", () => {
    const registers = accountBlock(text, registerAccountName(0)).join("\n");
    expect(registers).toContain("jetstream: enabled");
    expect(registers).toContain('user: "CN=reg-a"');
    expect(registers).toContain('user: "CN=reg-b"');
    expect(registers).toContain('{ stream: "codepay.v1.*.*.up" }');
    expect(registers).toContain('{ stream: "codepay.v1.*.*.status" }');
    expect(registers).toContain('{ service: "$MQTT.msgs.codepay.v1.>" }');
    const instances = accountBlock(text, INSTANCES_ACCOUNT).join("\n");
    expect(instances).not.toContain("jetstream");
    expect(instances).toContain('{ stream: { account: "CODEPAY_REGISTERS_0", subject: "codepay.v1.*.*.up" }, prefix: "a0" }');
    expect(instances).toContain('{ service: { account: "CODEPAY_REGISTERS_0", subject: "$MQTT.msgs.codepay.v1.>" }, to: "a0.deliver.codepay.v1.>" }');
  });

  test("K accounts: every register in exactly the account registerAccountIndex names, the instances importing from all K", () => {
    const registers = Array.from({ length: 40 }, (_, index) => ({ registerId: `reg-${index}`, storeId: `store-${index % 3}` }));
    const split = renderNatsAuthorization(registers, ["codepay-server-1", "codepay-server-2"], 4);
    const counts = [0, 1, 2, 3].map((account) => accountBlock(split, registerAccountName(account)).filter((line) => line.includes("user: ")).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
    expect(counts.every((count) => count > 0)).toBe(true);
    for (const register of registers) {
      expect(accountBlock(split, registerAccountName(registerAccountIndex(register.registerId, 4))).join("\n")).toContain(`user: "CN=${register.registerId}"`);
    }
    const instances = accountBlock(split, INSTANCES_ACCOUNT).join("\n");
    for (const account of [0, 1, 2, 3]) expect(instances).toContain(`to: "a${account}.deliver.codepay.v1.>"`);
    expect(instances.match(/user: /g)).toHaveLength(2);
    expect(split).not.toContain(registerAccountName(4));
  });

  test("an account count out of range is refused", () => {
    expect(() => renderNatsAuthorization([], ["codepay-server-1"], 0)).toThrow(/1-256/);
    expect(() => renderNatsAuthorization([], ["codepay-server-1"], 1.5)).toThrow(/1-256/);
    expect(() => renderNatsAuthorization([], ["codepay-server-1"], 257)).toThrow(/1-256/);
  });

  test("no registers: only the instances (nothing else is let in)", () => {
    expect(renderNatsAuthorization([], ["codepay-server-1"]).match(/user: /g)).toHaveLength(1);
  });
});

describe("register accounts and the instances' subjects", () => {
  test("a register's account is stable and within the count", () => {
    expect(registerAccountIndex("reg-a", 1)).toBe(0);
    for (const accounts of [2, 3, 16]) {
      for (const id of ["reg-a", "cluster-reg-0", "x"]) {
        const index = registerAccountIndex(id, accounts);
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeLessThan(accounts);
        expect(registerAccountIndex(id, accounts)).toBe(index);
      }
    }
    // FNV-1a 32 of "a" is 0xe40c292c: pinned, so a change of the hash (which would move every register) fails here.
    expect(registerAccountIndex("a", 1_000)).toBe(0xe40c292c % 1_000);
  });

  test("a delivery goes to the register's down subject in its account's stream", () => {
    expect(deliverSubject(3, "store-1", "reg-a")).toBe("a3.deliver.codepay.v1.store-1.reg-a.down");
  });

  test.each([
    ["a0.codepay.v1.s.r.up", { accountIndex: 0, subject: "codepay.v1.s.r.up" }],
    ["a12.codepay.v1.s.r.status", { accountIndex: 12, subject: "codepay.v1.s.r.status" }],
    ["codepay.v1.s.r.up", undefined],
    ["a01.codepay.v1.s.r.up", undefined],
    ["b1.codepay.v1.s.r.up", undefined],
    ["a1", undefined],
  ])("%s splits into its account and subject", (subject, expected) => {
    expect(splitAccountSubject(subject)).toEqual(expected);
  });
});

describe("node config", () => {
  const nodes: ClusterNode[] = [1, 2, 3].map((n) => ({ name: `node-${n}`, host: "10.0.0.1", clientPort: 4220 + n, routePort: 6220 + n, mqttPort: 8880 + n }));
  const files = { storeDir: "/var/lib/nats/js", configFile: "/etc/nats/node-1/nats.conf", authorizationFile: "/etc/nats/broker/nats-authorization.conf", caFile: "/etc/tls/ca.crt", certFile: "/etc/tls/node.crt", keyFile: "/etc/tls/node.key" };
  const text = renderNatsNodeConfig(nodes[0]!, nodes, files);

  test("routes to every node, JetStream on, MQTT over TLS with certificates mapped to users, R3 streams", () => {
    expect(text).toContain('server_name: "node-1"');
    expect(text).toContain('routes: ["nats-route://10.0.0.1:6221", "nats-route://10.0.0.1:6222", "nats-route://10.0.0.1:6223"]');
    expect(text).toContain('jetstream { store_dir: "/var/lib/nats/js" }');
    expect(text.match(/verify_and_map: true/g)).toHaveLength(2); // the NATS listener and the MQTT one
    expect(text).toContain("stream_replicas: 3");
    expect(text).toContain(`ack_wait: "${limits.clusterMqttAckWaitMs / 1_000}s"`);
    expect(text).not.toContain("http:");
  });

  test("the include is relative to the config's directory (nats-server resolves it from there only)", () => {
    expect(text).toContain('include "../broker/nats-authorization.conf"');
  });

  test("a smaller cluster gets as many replicas as it has nodes", () => {
    expect(renderNatsNodeConfig(nodes[0]!, nodes.slice(0, 1), files)).toContain("stream_replicas: 1");
  });
});
