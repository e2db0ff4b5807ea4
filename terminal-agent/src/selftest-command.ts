/**
 * codepay-agent selftest --config agent.json
 * Opens each configured device as `run` would (without the server, journal or cashier API): a test
 * pattern on the display, a test receipt on the printer (waits until the printer reports it printed),
 * and each device's state printed. Exits 1 when a configured device is missing (not online in time)
 * or the test receipt did not come out; 0 otherwise.
 */
import type { Logger } from "pino";
import type { AgentConfig } from "./config.js";
import type { Device } from "./devices/device.js";
import { MemoryPrintQueue } from "./devices/print-queue.js";
import type { SerialBinding } from "./devices/serial-connection.js";
import { createDevices } from "./main.js";

export interface SelftestOptions {
  readonly binding?: SerialBinding | undefined;
  readonly logger: Logger;
  readonly out: (line: string) => void;
  /** How long each device has to come online, and the printer to print. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

const TEST_PATTERN: Record<"en" | "ja", [string, string]> = {
  en: ["0123456789ABCDEFGHIJ", "CODE PAY SELFTEST  *"],
  ja: ["0123456789ABCDEFGHIJ", "ｾﾙﾌﾃｽﾄ ｱｲｳｴｵ ﾞﾟ    *"],
};

export async function selftest(config: AgentConfig, options: SelftestOptions): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  const devices = createDevices(config, options.binding, options.logger, new MemoryPrintQueue());
  const all: Array<[string, Device | undefined]> = [["display", devices.display], ["printer", devices.printer], ["cardReader", devices.cardReader]];
  let failed = false;
  for (const [, device] of all) device?.start();
  try {
    for (const [name, device] of all) {
      if (!device) {
        options.out(`${name}: not configured`);
        continue;
      }
      const online = await within(timeoutMs, () => device.powerState === "online");
      if (!online) failed = true;
      options.out(`${name}: ${online ? "online" : "MISSING"} (state ${device.state}, power ${device.powerState})`);
    }
    if (devices.display?.powerState === "online") {
      devices.display.show(TEST_PATTERN[config.language]);
      await devices.display.whenIdle();
      options.out("display: test pattern shown");
    }
    if (devices.printer?.powerState === "online") {
      const printed = await Promise.race([
        devices.printer
          .print({
            storeName: config.storeName, registerId: config.register.registerId, paymentId: `selftest-${now()}`, amount: { minor: 1, currency: config.currency },
            lines: [{ text: "SELFTEST" }, ...japaneseTestLines(config)], printedAt: now(), ...(config.language === "ja" ? { language: "ja" as const } : {}),
          })
          .then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
      ]);
      if (!printed) failed = true;
      const status = devices.printer.printerStatus;
      options.out(`printer: test receipt ${printed ? "printed" : "NOT printed"} (paper ${status.paperEnd ? "end" : status.paperNearEnd ? "near end" : "ok"}, cover ${status.coverOpen ? "open" : "closed"}, ${status.offline ? "offline" : "online"})`);
    }
  } finally {
    await Promise.all(all.map(([, device]) => device?.stop()));
  }
  options.out(failed ? "selftest FAILED" : "selftest OK");
  return failed ? 1 : 0;
}

/** With language ja, a line the printer model can print: kanji on a Shift_JIS model, half-width Katakana otherwise. */
function japaneseTestLines(config: AgentConfig): Array<{ text: string }> {
  if (config.language !== "ja") return [];
  return [{ text: config.devices.printer?.japanese === "shift_jis" ? "テスト印字 漢字 ｶﾅ" : "ﾃｽﾄ ｲﾝｼﾞ" }];
}

async function within(timeoutMs: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
