/**
 * What `admin broker files --broker nats` and the node configs say (pure renderers). That nats-server
 * reads them and enforces them is proven against the real cluster: harness/test/scale/
 * broker-cluster-failover.test.ts and harness/test/security/foreign-client-isolation-cluster.test.ts.
 */
import { describe, expect, test } from "vitest";
import { certificateUser, mqttTopic, natsSubject, renderNatsAuthorization, renderNatsNodeConfig, type ClusterNode } from "../../src/broker/nats-cluster-files.js";
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

  test("each register is its certificate's subject, MQTT only, with its own topics spelled out", () => {
    expect(userLine("reg-a")).toBe(
      '    { user: "CN=reg-a", allowed_connection_types: ["MQTT"], permissions: { publish: { allow: ["codepay.v1.store-1.reg-a.up", "codepay.v1.store-1.reg-a.status"] }, subscribe: { allow: ["codepay.v1.store-1.reg-a.down", "$MQTT.sub.>"] } } }',
    );
    expect(userLine("reg-b")).toContain('"codepay.v1.store-2.reg-b.down"');
    // No register line names another register or a wildcard over registers.
    expect(userLine("reg-a")).not.toMatch(/reg-b|\*|codepay\.v1\.[^"]*>/);
  });

  test("a server instance reads every register's requests and presence and writes every down topic, over NATS and MQTT", () => {
    expect(userLine("codepay-server-1")).toBe(
      '    { user: "CN=codepay-server-1", allowed_connection_types: ["STANDARD", "MQTT"], permissions: { publish: { allow: ["codepay.v1.*.*.down"] }, subscribe: { allow: ["codepay.v1.*.*.up", "codepay.v1.*.*.status"] } } }',
    );
  });

  test("no registers: only the instances (nothing else is let in)", () => {
    expect(renderNatsAuthorization([], ["codepay-server-1"]).match(/user: /g)).toHaveLength(1);
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
