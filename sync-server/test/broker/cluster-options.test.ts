/**
 * serve's cluster flags (cli/broker-options.ts): the register accounts' count is read from
 * --broker-cluster-accounts or its env, defaults to 1, and anything else is a usage error.
 */
import { describe, expect, test } from "vitest";
import { clusterOptions } from "../../src/cli/broker-options.js";
import { UsageError, type CliIo } from "../../src/cli/cli-args.js";

const base = {
  "broker-cluster-nats": "nats://n1:4222,nats://n2:4222",
  "broker-cluster-mqtt": "mqtts://n1:8883,mqtts://n2:8883",
  "broker-username": "codepay-server-1",
  "broker-ca": "ca.crt",
  "broker-cert": "i.crt",
  "broker-key": "i.key",
};

function io(env: Record<string, string> = {}): CliIo {
  return { stdout: () => undefined, stderr: () => undefined, env };
}

describe("cluster options", () => {
  test("no cluster flag: no cluster", () => {
    expect(clusterOptions({}, io())).toBeUndefined();
  });

  test("one register account unless told otherwise; the NATS and MQTT urls kept apart", () => {
    expect(clusterOptions(base, io())).toMatchObject({ natsUrls: ["nats://n1:4222", "nats://n2:4222"], mqttUrls: ["mqtts://n1:8883", "mqtts://n2:8883"], accounts: 1, name: "codepay-server-1" });
  });

  test("the count from the flag or from CODEPAY_BROKER_CLUSTER_ACCOUNTS", () => {
    expect(clusterOptions({ ...base, "broker-cluster-accounts": "16" }, io())?.accounts).toBe(16);
    expect(clusterOptions(base, io({ CODEPAY_BROKER_CLUSTER_ACCOUNTS: "4" }))?.accounts).toBe(4);
  });

  test.each(["0", "-1", "1.5", "abc", "257", "01"])("--broker-cluster-accounts %s is refused", (value) => {
    expect(() => clusterOptions({ ...base, "broker-cluster-accounts": value }, io())).toThrow(UsageError);
  });

  test("both listener lists are needed", () => {
    const { ["broker-cluster-mqtt"]: _mqtt, ...withoutMqtt } = base;
    expect(() => clusterOptions(withoutMqtt, io())).toThrow(/--broker-cluster-mqtt/);
  });
});
