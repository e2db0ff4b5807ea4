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

  it("exits 1 and names a configured device that is missing", async () => {
    const sim = await startDevices({ transport: "in-process" });
    const lines: string[] = [];
    const code = await selftest(config({ ...sim.paths, cardReader: "/sim/no-such-reader" }), { binding: sim.binding, logger: captureLogger().logger, out: (line) => lines.push(line), timeoutMs: 500 });
    expect(code).toBe(1);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^cardReader: MISSING/), "selftest FAILED"]));
  });
});
