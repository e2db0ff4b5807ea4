import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../src/config.js";

const valid = {
  server: { url: "mqtt://127.0.0.1:1883" },
  register: { storeId: "demo-store", registerId: "demo-reg-1", password: "s3cret" },
  currency: "JPY",
  language: "en",
  storeName: "Demo Store",
  journalPath: "./data/agent.sqlite",
  cashierApi: { host: "127.0.0.1", port: 7070 },
  devices: {
    display: { path: "/dev/ttyUSB0", baudRate: 9600, model: "epson" },
    printer: { path: "tcp://127.0.0.1:9100", baudRate: 19200, model: "epson", drawer: true },
    cardReader: { path: "/dev/ttyUSB2", baudRate: 9600 },
  },
};

function writeConfig(value: unknown, mode = 0o600): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "codepay-config-")), "agent.json");
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  chmodSync(file, mode);
  return file;
}

describe("config", () => {
  it("accepts the contract's example and fills defaults; every device is optional", () => {
    expect(parseConfig(valid).devices.printer?.drawer).toBe(true);
    const minimal = parseConfig({ ...valid, devices: undefined, cashierApi: undefined, language: undefined });
    expect(minimal.cashierApi).toEqual({ host: "127.0.0.1", port: 7070 });
    expect(minimal.devices).toEqual({});
  });

  it("names the field that is wrong", () => {
    const bad = { ...valid, devices: { ...valid.devices, printer: { ...valid.devices.printer, baudRate: "19200" } } };
    expect(() => parseConfig(bad)).toThrow("devices.printer.baudRate: expected number");
    expect(() => parseConfig({ ...valid, register: { ...valid.register, password: undefined } })).toThrow("register.password: expected string");
    expect(() => parseConfig({ ...valid, currency: "XXX" })).toThrow(/^currency: /);
    expect(() => parseConfig({ ...valid, devices: { display: { path: "COM-nope" } } })).toThrow(/devices\.display\.path: expected a device path/);
    expect(() => parseConfig({ ...valid, extra: 1 })).toThrow("unknown field extra");
  });

  it("loads a file, resolves journalPath next to it, and warns when others can read the password", () => {
    const privateFile = writeConfig(valid, 0o600);
    const loaded = loadConfig(privateFile);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.journalPath).toBe(path.join(path.dirname(privateFile), "data/agent.sqlite"));
    const openFile = writeConfig(valid, 0o644);
    expect(loadConfig(openFile).warnings[0]).toMatch(/group or others .* chmod 600/);
  });

  it("reports an unreadable or non-JSON file with a stable code", () => {
    expect(() => loadConfig("/nonexistent/agent.json")).toThrow(expect.objectContaining({ code: "CONFIG_UNREADABLE" }));
    expect(() => loadConfig(writeConfig("{not json"))).toThrow(expect.objectContaining({ code: "CONFIG_UNREADABLE" }));
  });

  it("server.tls: files resolve next to the config file, a missing file is named, cert and key go together", () => {
    const tlsConfig = { ...valid, server: { url: "mqtts://127.0.0.1:8883", tls: { ca: "ca.crt", cert: "reg.crt", key: "reg.key" } } };
    const file = writeConfig(tlsConfig);
    const dir = path.dirname(file);
    expect(() => loadConfig(file)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(/server\.tls\.ca: file not found: .*ca\.crt/) }));
    for (const name of ["ca.crt", "reg.crt", "reg.key"]) writeFileSync(path.join(dir, name), "PEM");
    const loaded = loadConfig(file);
    expect(loaded.config.server.tls).toEqual({ ca: path.join(dir, "ca.crt"), cert: path.join(dir, "reg.crt"), key: path.join(dir, "reg.key") });
    expect(loaded.warnings).toEqual([]);
    expect(() => parseConfig({ ...valid, server: { url: "mqtts://h:8883", tls: { cert: "reg.crt" } } })).toThrow(/server\.tls: cert and key go together/);
    const plain = writeConfig({ ...tlsConfig, server: { ...tlsConfig.server, url: "mqtt://127.0.0.1:1883" } });
    for (const name of ["ca.crt", "reg.crt", "reg.key"]) writeFileSync(path.join(path.dirname(plain), name), "PEM");
    expect(loadConfig(plain).warnings[0]).toMatch(/not mqtts:\/\/; the TLS files are not used/);
  });

  it("a broker cluster: failover urls in the url's scheme, certificate authentication only with mqtts:// and a certificate", () => {
    const tls = { ca: "ca.crt", cert: "reg.crt", key: "reg.key" };
    const cluster = parseConfig({ ...valid, server: { url: "mqtts://node-1:8883", failoverUrls: ["mqtts://node-2:8883", "mqtts://node-3:8883"], authentication: "certificate", tls } });
    expect(cluster.server.failoverUrls).toEqual(["mqtts://node-2:8883", "mqtts://node-3:8883"]);
    expect(cluster.server.authentication).toBe("certificate");
    expect(parseConfig(valid).server.authentication).toBe("password");
    expect(() => parseConfig({ ...valid, server: { url: "mqtts://node-1:8883", failoverUrls: ["mqtt://node-2:1883"], tls } })).toThrow(/server\.failoverUrls: every failover url uses the scheme of server\.url/);
    expect(() => parseConfig({ ...valid, server: { url: "mqtt://node-1:1883", failoverUrls: ["mqtt://node-2:1883/extra/path"] } })).toThrow(/server\.failoverUrls\.0: expected mqtt:\/\/host:port/);
    expect(() => parseConfig({ ...valid, server: { url: "mqtt://node-1:1883", authentication: "certificate" } })).toThrow(/server\.authentication: certificate authentication needs an mqtts:\/\/ url/);
    expect(() => parseConfig({ ...valid, server: { url: "mqtts://node-1:8883", authentication: "certificate", tls: { ca: "ca.crt" } } })).toThrow(/server\.authentication/);
  });
});
