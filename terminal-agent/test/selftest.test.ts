import { describe, expect, it } from "vitest";
import { startDevices } from "@codepay/hardware-sim";
import { parseConfig } from "../src/config.js";
import { selftest } from "../src/selftest-command.js";
import { captureLogger } from "./helpers/capture-logger.js";

function config(paths: { display: string; printer: string; cardReader: string }) {
  return parseConfig({
    server: { url: "mqtt://127.0.0.1:1" },
    register: { storeId: "demo-store", registerId: "demo-reg-1", password: "x" },
    currency: "JPY",
    storeName: "Demo Store",
    journalPath: "/tmp/unused.sqlite",
    devices: { display: { path: paths.display }, printer: { path: paths.printer }, cardReader: { path: paths.cardReader } },
  });
}

describe("codepay-agent selftest", () => {
  it("shows the test pattern, prints a test receipt, reports every device, exits 0", async () => {
    const sim = await startDevices({ transport: "in-process" });
    const lines: string[] = [];
    const code = await selftest(config(sim.paths), { binding: sim.binding, logger: captureLogger().logger, out: (line) => lines.push(line) });
    expect(code).toBe(0);
    expect(sim.display.snapshot().lines).toEqual(["0123456789ABCDEFGHIJ", "CODE PAY SELFTEST  *"]);
    expect(sim.printer.snapshot().receipts.filter((receipt) => receipt.text.includes("SELFTEST") && receipt.cut)).toHaveLength(1);
    expect(lines).toEqual(expect.arrayContaining(["display: test pattern shown", "selftest OK"]));
    expect(lines.filter((line) => /: online \(state /.test(line))).toHaveLength(3);
  });

  it("language ja: the test receipt carries a line in the printer model's Japanese (kanji on shift_jis, Katakana otherwise)", async () => {
    const sim = await startDevices({ transport: "in-process" });
    const base = config(sim.paths);
    const lines: string[] = [];
    const kanji = parseConfig({ ...base, language: "ja", devices: { printer: { path: sim.paths.printer, japanese: "shift_jis" } } });
    expect(await selftest(kanji, { binding: sim.binding, logger: captureLogger().logger, out: (line) => lines.push(line) })).toBe(0);
    const katakana = parseConfig({ ...base, language: "ja", devices: { printer: { path: sim.paths.printer } } });
    expect(await selftest(katakana, { binding: sim.binding, logger: captureLogger().logger, out: (line) => lines.push(line) })).toBe(0);
    const [first, second] = sim.printer.snapshot().receipts.filter((receipt) => receipt.cut);
    expect(first!.text).toContain("テスト印字 漢字 ｶﾅ");
    expect(first!.text).toContain("領収書");
    expect(second!.text).toContain("ﾃｽﾄ ｲﾝｼﾞ");
    expect(`${first!.text}${second!.text}`).not.toContain("\uFFFD");
  });

  it("exits 1 and names a configured device that is missing", async () => {
    const sim = await startDevices({ transport: "in-process" });
    const lines: string[] = [];
    const code = await selftest(config({ ...sim.paths, cardReader: "/sim/no-such-reader" }), { binding: sim.binding, logger: captureLogger().logger, out: (line) => lines.push(line), timeoutMs: 500 });
    expect(code).toBe(1);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^cardReader: MISSING/), "selftest FAILED"]));
  });
});
