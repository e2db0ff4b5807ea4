import { destination, pino, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

/** Anything that could let someone act as a register, a phone or a carrier never reaches a log line. */
const REDACT_PATHS = [
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "subscriberCredential",
  "*.subscriberCredential",
  "credential",
  "*.credential",
  "assertion",
  "*.assertion",
  "privateKey",
  "*.privateKey",
  "req.headers.authorization",
  'req.headers["codepay-phone-assertion"]',
  "headers.authorization",
  'headers["codepay-phone-assertion"]',
];

export interface LoggerOptions {
  readonly level?: string;
  /** Pretty lines for people; JSON lines for machines. Defaults to "stderr is a TTY". */
  readonly pretty?: boolean;
}

/**
 * Logs go to stderr: stdout carries only the machine-readable `{"event":"listening"}` line,
 * so a supervisor can read it without filtering log lines.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env["CODEPAY_LOG_LEVEL"] ?? "info";
  const base = { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } };
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  if (usePretty) return pino(base, pretty({ destination: 2, sync: true, colorize: true }));
  return pino(base, destination({ dest: 2, sync: true }));
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
