/** Small constructors shared by the ESC/POS parse functions. */
import type { ParseStep } from "../framed-decoder.js";
import type { PrinterCommand } from "./printer-commands.js";

export type Step = ParseStep<PrinterCommand>;

export const needMore: Step = { kind: "need-more" };

export function command(length: number, value: PrinterCommand, skipAfter = 0): Step {
  return skipAfter > 0 ? { kind: "command", length, command: value, skipAfter } : { kind: "command", length, command: value };
}

export function ignored(length: number, name: string, skipAfter = 0): Step {
  return command(length, { type: "ignored", name }, skipAfter);
}

export function unknown(bytes: Buffer, length: number): Step {
  return command(length, { type: "unknown", bytes: Buffer.from(bytes.subarray(0, Math.min(length, bytes.length))) });
}

/** Commands of the form PREFIX CODE pL pH d1...dk (k = pL + pH*256): skipped whole. */
export function lengthPrefixed(bytes: Buffer, name: string): Step {
  if (bytes.length < 5) return needMore;
  return ignored(5, name, bytes[3]! + bytes[4]! * 256);
}

/** Index of the first NUL at or after `from`, within `limit` bytes; -1 when not there yet. */
export function indexOfNul(bytes: Buffer, from: number, limit: number): number {
  const end = Math.min(bytes.length, from + limit);
  for (let index = from; index < end; index += 1) if (bytes[index] === 0) return index;
  return -1;
}
