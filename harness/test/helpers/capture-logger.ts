import pino from "pino";
import type { Logger } from "pino";

/** A pino logger whose output the test can read (the tests here read link state lines, not redaction). */
export function captureLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const logger = pino({ level: "debug" }, { write: (chunk: string) => void chunks.push(chunk) });
  return { logger, text: () => chunks.join("") };
}
