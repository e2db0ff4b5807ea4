/**
 * `codepay-sim scenario --payments N [--cashier-api URL] [--sim URL] [--gateway URL]
 *   [--credential C] [--demo ./data/demo.json] [--amount 1200]`
 * --show also draws the pole display as the shopper saw it and the decoded receipt.
 * Flags win over data/demo.json. --amount is in minor units (1200 JPY, 1234 = EUR 12.34).
 */
import { parseArgs } from "node:util";
import { readDemoConfig } from "../scenarios/demo-config.js";
import { runScenario, type PaymentRunResult } from "../scenarios/run-scenario.js";

function formatResult(result: PaymentRunResult): string {
  const index = String(result.index).padStart(3);
  const code = result.code === undefined ? "        " : result.code.padEnd(8);
  const latency = `${result.latencyMs} ms`.padStart(8);
  if (result.ok) return `${index} ok    code ${code} ${latency}  ${result.paymentId}`;
  return `${index} FAIL  code ${code} ${latency}  ${result.paymentId}  ${result.failedStep}: ${result.message}`;
}

/** The display and the receipt of one payment, boxed, for people watching `npm start`. */
function showResult(result: PaymentRunResult): string {
  const box = (title: string, lines: readonly string[]): string => {
    const width = Math.max(title.length, ...lines.map((line) => line.length));
    const rule = `+${"-".repeat(width + 2)}+`;
    return [`  ${title}`, `  ${rule}`, ...lines.map((line) => `  | ${line.padEnd(width)} |`), `  ${rule}`].join("\n");
  };
  const parts: string[] = [];
  if (result.screen !== undefined) parts.push(box("pole display (what the shopper reads)", result.screen));
  if (result.receiptText !== undefined) parts.push(box("receipt (decoded from the printer's ESC/POS bytes)", result.receiptText.split("\n")));
  return parts.length === 0 ? "" : `${parts.join("\n")}\n`;
}

export async function scenarioCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      payments: { type: "string", default: "1" },
      "cashier-api": { type: "string" },
      sim: { type: "string" },
      gateway: { type: "string" },
      credential: { type: "string" },
      demo: { type: "string", default: "./data/demo.json" },
      amount: { type: "string", default: "1200" },
      show: { type: "boolean", default: false },
    },
    strict: true,
  });
  const payments = Number(values.payments);
  const amountMinor = Number(values.amount);
  if (!Number.isInteger(payments) || payments < 1) return usage("--payments must be a positive integer");
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 1) return usage("--amount must be a positive integer (minor units)");
  const demo = await readDemoConfig(values.demo);
  const cashierApiUrl = values["cashier-api"] ?? demo?.cashierApi ?? "http://127.0.0.1:7070";
  const simUrl = values.sim ?? demo?.sim ?? "http://127.0.0.1:7080";
  const gatewayUrl = values.gateway ?? demo?.gateway ?? "http://127.0.0.1:8081";
  const subscriberCredential = values.credential ?? demo?.subscriberCredential;
  if (subscriberCredential === undefined) return usage(`no --credential and no subscriberCredential in ${values.demo}`);
  const summary = await runScenario({
    cashierApiUrl, simUrl, gatewayUrl, subscriberCredential, payments, amountMinor,
    onResult: (result) => process.stdout.write(`${values.show ? showResult(result) : ""}${formatResult(result)}\n`),
  });
  process.stdout.write(
    `${summary.passed} passed, ${summary.failed} failed; total ${(summary.totalMs / 1000).toFixed(2)} s, mean latency ${Math.round(summary.meanLatencyMs)} ms\n`,
  );
  return summary.failed === 0 ? 0 : 1;
}

function usage(message: string): number {
  process.stderr.write(`codepay-sim scenario: ${message}\n`);
  return 2;
}
