/**
 * Structured logs with pino, to stderr (stdout carries the `ready` line). Pretty on a terminal.
 * Never a password or a card number: the password paths are redacted, and card data never reaches
 * a log call (the card reader logs a masked summary only).
 */
import pino from "pino";
import type { Logger } from "pino";

export type { Logger };

export const REDACTED_PATHS = ["password", "*.password", "register.password", "config.register.password"];

export function createLogger(level: string = process.env["CODEPAY_LOG_LEVEL"] ?? "info"): Logger {
  const options = { level, base: { name: "codepay-agent" }, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  if (process.stderr.isTTY) {
    return pino(options, pino.transport({ target: "pino-pretty", options: { destination: 2, colorize: true } }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
