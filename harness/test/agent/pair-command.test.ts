/** `codepay-agent pair`: redeems a pairing code at the real server and writes a 0600 config the agent runs with. */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeed, pairRegister, silentLogger, startServer, type RunningServer } from "@codepay/sync-server";
import { loadConfig, startAgent } from "@codepay/terminal-agent";
import { pairAgent } from "@codepay/terminal-agent/parts";
import { captureLogger } from "../helpers/capture-logger.js";
import { pollUntil } from "../helpers/poll-until.js";

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "codepay-pair-"));
  server = await startServer({ dataDir: path.join(dir, "server"), ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
  await demoSeed({ dataDir: path.join(dir, "server") });
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("codepay-agent pair", () => {
  it("writes a config (mode 0600) with the register's credentials and card key, keeps existing device settings, and the agent connects with it", async () => {
    const { pairingCode } = await pairRegister({ dataDir: path.join(dir, "server"), storeId: "demo-store", registerId: "reg-paired", name: "Paired" });
    const configPath = path.join(dir, "agent", "agent.json");
    const out: string[] = [];
    expect(await pairAgent({ code: pairingCode.toLowerCase(), server: server.shopperApiUrl, configPath, out: (line) => out.push(line) })).toBe(0);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const { config } = loadConfig(configPath);
    expect(config).toMatchObject({ server: { url: server.mqttUrl }, register: { storeId: "demo-store", registerId: "reg-paired" }, currency: "JPY", storeName: "Demo Store", registerName: "Paired" });
    expect(config.cardKey).toMatch(/^[0-9a-f]{64}$/);
    expect(out.join("\n")).not.toContain(config.register.password);
    expect(out.join("\n")).not.toContain(config.cardKey);

    const { logger, text } = captureLogger();
    const agent = await startAgent({ ...config, cashierApi: { host: "127.0.0.1", port: 0 }, journalPath: path.join(dir, "agent", "journal.sqlite") }, { logger });
    await pollUntil("link up with the paired credentials", () => text().includes("mqtt link up") || undefined);
    await agent.stop();

    // Pairing the register again: new password, and the config keeps what the operator set.
    const edited = { ...JSON.parse(readFileSync(configPath, "utf8")), cashierApi: { host: "127.0.0.1", port: 7171 } };
    writeFileSync(configPath, JSON.stringify(edited));
    const second = await pairRegister({ dataDir: path.join(dir, "server"), storeId: "demo-store", registerId: "reg-paired", name: "Paired" });
    expect(await pairAgent({ code: second.pairingCode, server: server.shopperApiUrl, configPath, out: () => undefined })).toBe(0);
    const repaired = loadConfig(configPath).config;
    expect(repaired.cashierApi.port).toBe(7171);
    expect(repaired.register.password).not.toBe(config.register.password);
  });

  it.skipIf(process.getuid?.() !== 0)("run as root, pairing keeps the owner of an existing config (the package's codepay user must still read it)", async () => {
    const configPath = path.join(dir, "owned", "agent.json");
    mkdirSync(path.dirname(configPath));
    writeFileSync(configPath, JSON.stringify({ journalPath: "/var/lib/codepay-agent/journal.sqlite" }), { mode: 0o600 });
    chownSync(configPath, 4321, 4322);
    const { pairingCode } = await pairRegister({ dataDir: path.join(dir, "server"), storeId: "demo-store", registerId: "reg-owned", name: "Owned" });
    expect(await pairAgent({ code: pairingCode, server: server.shopperApiUrl, configPath, out: () => undefined })).toBe(0);
    const after = statSync(configPath);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([4321, 4322, 0o600]);
    expect(JSON.parse(readFileSync(configPath, "utf8"))).toMatchObject({ journalPath: "/var/lib/codepay-agent/journal.sqlite", register: { registerId: "reg-owned" } });
  });

  it("exits 1 on a used or unknown code and 2 on bad usage, writing nothing", async () => {
    const configPath = path.join(dir, "nothing", "agent.json");
    const out: string[] = [];
    expect(await pairAgent({ code: "ABCD-EFGH", server: server.shopperApiUrl, configPath, out: (line) => out.push(line) })).toBe(1);
    expect(out.join("\n")).toContain("PAIRING_CODE_INVALID");
    expect(await pairAgent({ code: "nope", server: server.shopperApiUrl, configPath, out: () => undefined })).toBe(2);
    expect(await pairAgent({ code: "ABCD-EFGH", server: server.shopperApiUrl, configPath: undefined, out: () => undefined })).toBe(2);
    expect(() => statSync(configPath)).toThrow();
  });
});
