import pino from "pino";
import type { Logger } from "pino";
import { REDACTED_PATHS } from "../../src/logger.js";

/** A pino logger whose output the test can read, with the agent's redaction. */
export function captureLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const logger = pino({ level: "debug", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, { write: (chunk: string) => void chunks.push(chunk) });
  return { logger, text: () => chunks.join("") };
}
