/**
 * codepay-agent run --config agent.json
 * codepay-agent pay <amount> [--api URL] [--currency JPY] [--timeout S]
 * codepay-agent check-config --config agent.json
 * codepay-agent pair <code> --server http://127.0.0.1:8080 --config agent.json
 * Exit codes: 0 ok / approved, 1 payment not approved or failure, 2 bad config or usage.
 */
import { parseArgs } from "node:util";
import { isCurrencyCode, parseMajorAmount } from "@codepay/contract";
import { loadConfig } from "./config.js";
import { AgentError } from "./core/errors.js";
import { createLogger } from "./logger.js";
import { startAgent } from "./main.js";
import { cashierApiFor, payAndFollow } from "./pay-command.js";
import { pairAgent } from "./pair-command.js";
import { selftest } from "./selftest-command.js";

const USAGE = `usage:
  codepay-agent run --config agent.json
  codepay-agent pay <amount> [--api URL] [--currency JPY] [--timeout S]
      waits for a phone to pay until the code expires (2 minutes by default), or cancels after --timeout S;
      --api defaults to the cashier API in ./data/demo.json (written by npm start), else http://127.0.0.1:7070
  codepay-agent check-config --config agent.json
  codepay-agent selftest --config agent.json
  codepay-agent pair <ABCD-EFGH> --server http://127.0.0.1:8080 --config agent.json`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      api: { type: "string" },
      timeout: { type: "string" },
      currency: { type: "string", default: "JPY" },
      server: { type: "string", default: "http://127.0.0.1:8080" },
    },
  });
  switch (command) {
    case "check-config":
      return checkConfig(values.config);
    case "run":
      return run(values.config);
    case "selftest":
      return runSelftest(values.config);
    case "pay":
      return pay(positionals[0], cashierApiFor(values.api), values.currency, values.timeout);
    case "pair":
      return pairAgent({ code: positionals[0], server: values.server, configPath: values.config, out: (line) => process.stdout.write(`${line}\n`) });
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

function readConfigOrExplain(file: string | undefined): ReturnType<typeof loadConfig> | undefined {
  if (!file) {
    process.stderr.write(`--config is required\n${USAGE}\n`);
    return undefined;
  }
  try {
    return loadConfig(file);
  } catch (error) {
    if (error instanceof AgentError) {
      process.stderr.write(`${error.code}: ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}

function checkConfig(file: string | undefined): number {
  const loaded = readConfigOrExplain(file);
  if (!loaded) return 2;
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write("OK\n");
  return 0;
}

async function runSelftest(file: string | undefined): Promise<number> {
  const loaded = readConfigOrExplain(file);
  if (!loaded) return 2;
  return selftest(loaded.config, { logger: createLogger("warn"), out: (line) => process.stdout.write(`${line}\n`) });
}

async function run(file: string | undefined): Promise<number> {
  const loaded = readConfigOrExplain(file);
  if (!loaded) return 2;
  const logger = createLogger();
  for (const warning of loaded.warnings) logger.warn(warning);
  const agent = await startAgent(loaded.config, { logger });
  process.stdout.write(`${JSON.stringify({ event: "ready", cashierApi: agent.cashierApiUrl })}\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, "shutting down");
      agent.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, "stop failed");
        resolve();
      });
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  });
  return 0;
}

async function pay(amountText: string | undefined, api: string, currency: string, timeoutText: string | undefined): Promise<number> {
  const timeoutS = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutS !== undefined && !(Number.isFinite(timeoutS) && timeoutS > 0)) {
    process.stderr.write(`--timeout must be a positive number of seconds\n${USAGE}\n`);
    return 2;
  }
  if (!isCurrencyCode(currency)) {
    process.stderr.write(`unknown currency ${currency}\n`);
    return 2;
  }
  const amountMinor = amountText === undefined ? undefined : parseMajorAmount(amountText, currency);
  if (amountMinor === undefined || amountMinor <= 0) {
    process.stderr.write(`amount must be a positive number in major units with at most the currency's decimals (${currency})\n${USAGE}\n`);
    return 2;
  }
  const timeoutMs = timeoutS === undefined ? undefined : timeoutS * 1000;
  return payAndFollow({ api, amountMinor, currency, ...(timeoutMs === undefined ? {} : { timeoutMs }), out: (line) => process.stdout.write(`${line}\n`) });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
